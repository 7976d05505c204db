"""`mercato check_order_address`: each review rule on real-looking good and bad addresses,
phones and names, over every province-level region. The rules generalise (cpca, phone
numbers, the shape of a name), so none of these addresses is listed anywhere in the code."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db

GOOD = "pass"

CASES = [
    # Good addresses, one or more per province-level region ----------------------------
    ("张伟", "13800138000", "北京市朝阳区建国路88号SOHO现代城5号楼1203室", GOOD),
    ("王芳", "13912345678", "天津市和平区南京路189号津汇广场", GOOD),
    ("李娜", "15012345678", "河北省石家庄市长安区中山东路39号", GOOD),
    ("刘洋", "18612345678", "山西省太原市小店区长风街1号", GOOD),
    ("巴特尔", "15848123456", "内蒙古自治区呼和浩特市新城区中山东路1号", GOOD),
    ("陈静", "13304051234", "辽宁省沈阳市和平区南京北街206号", GOOD),
    ("杨磊", "13504311234", "吉林省长春市朝阳区人民大街5988号", GOOD),
    ("赵敏", "13936123456", "黑龙江省哈尔滨市南岗区西大直街92号", GOOD),
    ("黄丽", "+86 138-0013-8000", "上海市浦东新区张江高科技园区碧波路690号", GOOD),
    ("周杰", "13705151234", "江苏省南京市鼓楼区汉口路22号南京大学", GOOD),
    ("吴芳芳", "13857112345", "浙江省杭州市西湖区文三路90号东部软件园3号楼", GOOD),
    ("徐强", "13955112345", "安徽省合肥市蜀山区长江西路100号", GOOD),
    ("孙丽华", "13905912345", "福建省福州市鼓楼区五四路158号环球广场", GOOD),
    ("胡军", "13907912345", "江西省南昌市东湖区八一大道333号", GOOD),
    ("朱红", "13953112345", "山东省青岛市市南区香港中路10号", GOOD),
    ("高峰", "13937112345", "河南省郑州市金水区花园路39号", GOOD),
    ("林涛", "13907112345", "湖北省武汉市洪山区珞喻路1037号华中科技大学", GOOD),
    ("何静", "13907312345", "湖南省长沙市岳麓区麓山南路932号", GOOD),
    ("郭靖", "13802512345", "广东省深圳市南山区科技园科苑路15号", GOOD),
    ("韦小宝", "13907712345", "广西壮族自治区南宁市青秀区民族大道100号", GOOD),
    ("符海", "13907512345", "海南省海口市美兰区海府路1号", GOOD),
    ("邓超", "13908312345", "重庆市渝中区解放碑步行街8号", GOOD),
    ("罗玉", "13908012345", "四川省成都市武侯区人民南路四段1号", GOOD),
    ("阿木", "13908342345", "四川省凉山彝族自治州昭觉县支尔莫乡阿土列尔村", GOOD),
    ("龙飞", "13908512345", "贵州省贵阳市云岩区中华北路1号", GOOD),
    ("段誉", "13908712345", "云南省昆明市五华区翠湖南路2号", GOOD),
    ("扎西顿珠", "13908912345", "西藏自治区拉萨市城关区北京中路1号", GOOD),
    ("尼玛次仁", "13989012345", "西藏拉萨市城关区江苏路8号", GOOD),
    ("马超", "13909212345", "陕西省西安市雁塔区小寨东路1号", GOOD),
    ("牛小花", "13909312345", "甘肃省兰州市城关区东岗西路1号", GOOD),
    ("韩梅梅", "13909712345", "青海省西宁市城西区五四大街1号", GOOD),
    ("马玉兰", "13909512345", "宁夏银川市兴庆区解放西街1号", GOOD),
    ("阿卜杜拉·艾则孜", "13909912345", "新疆维吾尔自治区乌鲁木齐市天山区解放北路1号", GOOD),
    ("欧阳娜娜", "13826012345", "广东省东莞市长安镇振安路1号", GOOD),  # no districts
    ("王先生", "13926012345", "河南省济源市济水大街100号", GOOD),  # county under the province
    ("Li Lei", "13626012345", "河南省周口市郸城县汲冢镇王庄村3组", GOOD),
    ("John Smith", "13526012345", "上海市徐汇区虹漕路461号58号楼5楼", GOOD),
    ("李女士", "17012345678", "成都武侯区人民南路四段１号", GOOD),  # full-width digits
    # Addresses cpca cannot place down to the district -----------------------------------
    ("张伟", "13800138000", "四川省成都市人民南路四段1号", "hold:address"),
    ("张伟", "13800138000", "广东省深圳市朝阳区科苑路1号", "hold:address"),
    ("张伟", "13800138000", "朝阳区建国路88号", "hold:address"),  # 北京 or 长春?
    ("张伟", "13800138000", "火星基地阿尔法区1号", "hold:address"),
    ("张伟", "13800138000", "香港九龙弥敦道1号", "hold:address"),
    ("张伟", "13800138000", "台湾省台北市信义区信义路五段7号", "hold:address"),
    # ... or that lack a street or house detail --------------------------------------------
    ("张伟", "13800138000", "江苏省南京市鼓楼区", "hold:address"),
    ("张伟", "13800138000", "广东省深圳市南山区深南大道", "hold:address"),
    ("张伟", "13800138000", "浙江省杭州市西湖区附近", "hold:address"),
    ("张伟", "13800138000", "湖北省武汉市江夏区藏龙岛开发区", "hold:address"),
    ("张伟", "13800138000", "云南省大理白族自治州大理市下关镇", "hold:address"),
    # Phones phonenumbers rejects, or that are not mobile -----------------------------------
    ("张伟", "12345678901", "北京市海淀区中关村大街1号", "hold:phone"),
    ("张伟", "1380013800", "北京市海淀区中关村大街1号", "hold:phone"),
    ("张伟", "010-62751234", "北京市海淀区中关村大街1号", "hold:phone"),
    ("张伟", "0755-86013388", "广东省深圳市南山区科苑路15号", "hold:phone"),
    ("张伟", "400-800-1234", "广东省深圳市南山区科苑路15号", "hold:phone"),
    ("张伟", "+1 650 253 0000", "广东省深圳市南山区科苑路15号", "hold:phone"),
    ("张伟", "+852 9123 4567", "广东省深圳市南山区科苑路15号", "hold:phone"),
    ("张伟", "phone", "广东省深圳市南山区科苑路15号", "hold:phone"),
    # Missing information ---------------------------------------------------------------------
    ("", "13800138000", "广东省深圳市南山区科苑路15号", "hold:incomplete"),
    ("收货人", "13800138000", "广东省深圳市南山区科苑路15号", "hold:incomplete"),
    ("  ", "", "广东省深圳市南山区科苑路15号", "hold:phone,incomplete"),
    # Gibberish or abusive names, abusive addresses -----------------------------------------
    ("asdfgh", "13800138000", "广东省深圳市南山区科苑路15号", "hold:malicious"),
    ("啊啊啊啊", "13800138000", "山东省济南市历下区泉城路1号", "hold:malicious"),
    ("哈哈哈", "13800138000", "山东省济南市历下区泉城路1号", "hold:malicious"),
    ("测试", "13800138000", "山东省济南市历下区泉城路1号", "hold:malicious"),
    ("张三123", "13800138000", "山东省济南市历下区泉城路1号", "hold:malicious"),
    ("qwer", "13800138000", "山东省济南市历下区泉城路1号", "hold:malicious"),
    ("傻逼", "13800138000", "山东省济南市历下区泉城路1号", "hold:malicious"),
    ("你大爷", "13800138000", "山东省济南市历下区泉城路1号", "hold:malicious"),
    ("fuck you", "13800138000", "山东省济南市历下区泉城路1号", "hold:malicious"),
    ("王五", "13800138000", "山东省济南市历下区傻逼路1号", "hold:malicious"),
    # Several at once, in the fixed order ---------------------------------------------------
    ("", "010-62751234", "北京市海淀区", "hold:address,phone,incomplete"),
    ("xxxx", "123", "火星", "hold:address,phone,malicious"),
]


def run(recipient, phone, address, *extra) -> str:
    out = StringIO()
    call_command(
        "check_order_address",
        "--recipient",
        recipient,
        "--phone",
        phone,
        "--address",
        address,
        *extra,
        stdout=out,
        stderr=StringIO(),
    )
    return out.getvalue().strip()


def test_the_cases_cover_every_province_and_every_reason():
    from mercato.core.regions import mainland_provinces

    good = " ".join(address for _n, _p, address, expected in CASES if expected == GOOD)
    short = {
        p.replace("省", "").replace("市", "").replace("自治区", "")[:2]
        for p in mainland_provinces()
    }
    assert all(name in good for name in short), sorted(n for n in short if n not in good)
    reasons = {r for *_x, e in CASES if e != GOOD for r in e.removeprefix("hold:").split(",")}
    assert reasons == {"address", "phone", "incomplete", "malicious"}
    assert len(CASES) >= 40


@pytest.mark.parametrize(("recipient", "phone", "address", "expected"), CASES)
def test_check_order_address(recipient, phone, address, expected):
    assert run(recipient, phone, address) == expected


def test_cash_on_delivery_above_the_threshold_is_a_cod_risk():
    address = "广东省深圳市南山区科苑路15号"
    assert run("张伟", "13800138000", address, "--cod", "--total", "1999.00") == GOOD
    assert run("张伟", "13800138000", address, "--cod", "--total", "2500.00") == "hold:cod-risk"
    assert run("张伟", "13800138000", address, "--total", "2500.00") == GOOD  # paid online


def test_large_quantity_is_malicious():
    address = "广东省深圳市南山区科苑路15号"
    assert run("张伟", "13800138000", address, "--quantity", "20") == GOOD
    assert run("张伟", "13800138000", address, "--quantity", "21") == "hold:malicious"


def test_verbose_output_says_why():
    out = StringIO()
    call_command(
        "check_order_address", "--recipient", "", "--phone", "010-62751234", "--address",
        "北京市海淀区", verbosity=2, stdout=out,
    )  # fmt: skip
    lines = out.getvalue().splitlines()
    assert lines[0] == "hold:address,phone,incomplete"
    assert len(lines) == 4 and all(line.startswith("  ") for line in lines[1:])


def test_bad_arguments_are_refused():
    with pytest.raises(CommandError):
        run("张伟", "13800138000", "北京市", "--total", "lots")
