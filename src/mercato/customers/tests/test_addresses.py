import pytest
from django.db import IntegrityError, transaction

from mercato.core.errors import ValidationFailed
from mercato.customers.models import Address
from mercato.customers.services import (
    add_address,
    check_region,
    create_customer,
    parse_address,
    validate_cn_mobile,
)

PASTED = [
    (
        "张三 13812345678 广东省深圳市南山区科技园科苑路15号",
        ("张三", "13812345678", "广东省", "深圳市", "南山区", "科技园科苑路15号"),
    ),
    (
        "收货人：李四，手机号码：+86 139-1234-5678，地址：北京市朝阳区建国路88号SOHO现代城A座",
        ("李四", "13912345678", "北京市", "北京市", "朝阳区", "建国路88号SOHO现代城A座"),
    ),
    (
        "王五,18612345678,上海市 徐汇区 漕溪北路1号 200030",
        ("王五", "18612345678", "上海市", "上海市", "徐汇区", "漕溪北路1号"),
    ),
    (
        "重庆市渝中区解放碑民族路188号 赵六 15923456789",
        ("赵六", "15923456789", "重庆市", "重庆市", "渝中区", "解放碑民族路188号"),
    ),
    (
        "天津市和平区南京路219号 刘洋 13512345678",
        ("刘洋", "13512345678", "天津市", "天津市", "和平区", "南京路219号"),
    ),
    (
        "阿依古丽 13899123456 新疆维吾尔自治区乌鲁木齐市天山区解放南路9号",
        ("阿依古丽", "13899123456", "新疆维吾尔自治区", "乌鲁木齐市", "天山区", "解放南路9号"),
    ),
    (
        "扎西 18908901234 西藏自治区拉萨市城关区北京中路1号",
        ("扎西", "18908901234", "西藏自治区", "拉萨市", "城关区", "北京中路1号"),
    ),
    (
        "韦小宝 17777123456 广西壮族自治区南宁市青秀区民族大道100号",
        ("韦小宝", "17777123456", "广西壮族自治区", "南宁市", "青秀区", "民族大道100号"),
    ),
    (
        "巴特尔 15047123456 内蒙古自治区呼和浩特市新城区新华大街1号",
        ("巴特尔", "15047123456", "内蒙古自治区", "呼和浩特市", "新城区", "新华大街1号"),
    ),
    (
        "马丽 13995123456 宁夏回族自治区银川市兴庆区解放西街1号",
        ("马丽", "13995123456", "宁夏回族自治区", "银川市", "兴庆区", "解放西街1号"),
    ),
    (
        "陈七13612345678深圳市南山区粤海街道",  # no spaces, no province
        ("陈七", "13612345678", "广东省", "深圳市", "南山区", "粤海街道"),
    ),
    (
        "张伟 139-3891-2345 河南省济源市天坛路1号",  # a county-level city under the province
        ("张伟", "13938912345", "河南省", "济源市", "济源市", "天坛路1号"),
    ),
    (
        "金华 13705791234 浙江省金华市婺城区八一南街8号",  # a name that is also a city
        ("金华", "13705791234", "浙江省", "金华市", "婺城区", "八一南街8号"),
    ),
]

# One per province-level division of the mainland, and harder shapes.
MORE_PASTED = [
    (
        "王芳 13911112222 北京市海淀区中关村大街27号",
        ("王芳", "13911112222", "北京市", "北京市", "海淀区", "中关村大街27号"),
    ),
    (
        "李娜 18621234567 上海市浦东新区世纪大道100号环球金融中心",
        ("李娜", "18621234567", "上海市", "上海市", "浦东新区", "世纪大道100号环球金融中心"),
    ),
    (
        "周杰 13388776655 天津市滨海新区第三大街51号",
        ("周杰", "13388776655", "天津市", "天津市", "滨海新区", "第三大街51号"),
    ),
    (
        "邓敏 18723456789 重庆市江北区观音桥步行街8号",
        ("邓敏", "18723456789", "重庆市", "重庆市", "江北区", "观音桥步行街8号"),
    ),
    (
        "孙磊 13601012345 河北省石家庄市长安区中山东路39号",
        ("孙磊", "13601012345", "河北省", "石家庄市", "长安区", "中山东路39号"),
    ),
    (
        "吴静 13903510000 山西省太原市小店区亲贤北街9号",
        ("吴静", "13903510000", "山西省", "太原市", "小店区", "亲贤北街9号"),
    ),
    (
        "郑强 13840001234 辽宁省沈阳市和平区南京北街206号",
        ("郑强", "13840001234", "辽宁省", "沈阳市", "和平区", "南京北街206号"),
    ),
    (
        "冯雪 13943112345 吉林省长春市朝阳区人民大街3号",
        ("冯雪", "13943112345", "吉林省", "长春市", "朝阳区", "人民大街3号"),
    ),
    (
        "陈刚 13904510000 黑龙江省哈尔滨市南岗区西大直街92号",
        ("陈刚", "13904510000", "黑龙江省", "哈尔滨市", "南岗区", "西大直街92号"),
    ),
    (
        "褚云 13951234567 江苏省南京市玄武区中山路18号",
        ("褚云", "13951234567", "江苏省", "南京市", "玄武区", "中山路18号"),
    ),
    (
        "卫东 13588889999 浙江省杭州市西湖区文三路90号",
        ("卫东", "13588889999", "浙江省", "杭州市", "西湖区", "文三路90号"),
    ),
    (
        "蒋丽 13955123456 安徽省合肥市蜀山区长江西路200号",
        ("蒋丽", "13955123456", "安徽省", "合肥市", "蜀山区", "长江西路200号"),
    ),
    (
        "沈杰 13905912345 福建省福州市鼓楼区五四路158号",
        ("沈杰", "13905912345", "福建省", "福州市", "鼓楼区", "五四路158号"),
    ),
    (
        "韩梅 13907912345 江西省南昌市东湖区八一大道357号",
        ("韩梅", "13907912345", "江西省", "南昌市", "东湖区", "八一大道357号"),
    ),
    (
        "杨帆 13953112345 山东省济南市历下区泉城路180号",
        ("杨帆", "13953112345", "山东省", "济南市", "历下区", "泉城路180号"),
    ),
    (
        "朱红 13971234567 湖北省武汉市武昌区中南路99号",
        ("朱红", "13971234567", "湖北省", "武汉市", "武昌区", "中南路99号"),
    ),
    (
        "秦岭 13975112345 湖南省长沙市岳麓区麓山南路932号",
        ("秦岭", "13975112345", "湖南省", "长沙市", "岳麓区", "麓山南路932号"),
    ),
    (
        "尤佳 13876543210 海南省海口市美兰区海府路1号",
        ("尤佳", "13876543210", "海南省", "海口市", "美兰区", "海府路1号"),
    ),
    (
        "许诺 13908012345 四川省成都市武侯区人民南路四段1号",
        ("许诺", "13908012345", "四川省", "成都市", "武侯区", "人民南路四段1号"),
    ),
    (
        "何平 13985012345 贵州省贵阳市南明区中华南路45号",
        ("何平", "13985012345", "贵州省", "贵阳市", "南明区", "中华南路45号"),
    ),
    (
        "吕方 13908712345 云南省昆明市五华区东风西路1号",
        ("吕方", "13908712345", "云南省", "昆明市", "五华区", "东风西路1号"),
    ),
    (
        "施然 13909112345 陕西省西安市雁塔区小寨东路126号",
        ("施然", "13909112345", "陕西省", "西安市", "雁塔区", "小寨东路126号"),
    ),
    (
        "张涛 13909312345 甘肃省兰州市城关区东岗西路638号",
        ("张涛", "13909312345", "甘肃省", "兰州市", "城关区", "东岗西路638号"),
    ),
    (
        "曹操 13909712345 青海省西宁市城中区长江路1号",
        ("曹操", "13909712345", "青海省", "西宁市", "城中区", "长江路1号"),
    ),
    (
        "索朗 13989012345 西藏自治区日喀则市桑珠孜区上海中路2号",
        ("索朗", "13989012345", "西藏自治区", "日喀则市", "桑珠孜区", "上海中路2号"),
    ),
    (
        "乌兰 13904712345 内蒙古自治区包头市昆都仑区钢铁大街7号",
        ("乌兰", "13904712345", "内蒙古自治区", "包头市", "昆都仑区", "钢铁大街7号"),
    ),
    (
        "黄梅 13907712345 广西壮族自治区桂林市秀峰区中山中路18号",
        ("黄梅", "13907712345", "广西壮族自治区", "桂林市", "秀峰区", "中山中路18号"),
    ),
    (
        "买买提 13999012345 新疆维吾尔自治区喀什地区喀什市人民东路1号",
        ("买买提", "13999012345", "新疆维吾尔自治区", "喀什地区", "喀什市", "人民东路1号"),
    ),
    (
        "马强 13909512345 宁夏回族自治区吴忠市利通区裕民东街5号",
        ("马强", "13909512345", "宁夏回族自治区", "吴忠市", "利通区", "裕民东街5号"),
    ),
    (
        "韩梅梅 13812340003 湖北省恩施土家族苗族自治州恩施市舞阳大道1号",
        ("韩梅梅", "13812340003", "湖北省", "恩施土家族苗族自治州", "恩施市", "舞阳大道1号"),
    ),
    (
        "收件人: 刘备 电话: 13812340004 地址: 四川省成都市锦江区春熙路1号",
        ("刘备", "13812340004", "四川省", "成都市", "锦江区", "春熙路1号"),
    ),
]
PASTED += MORE_PASTED


@pytest.mark.parametrize(("text", "expected"), PASTED, ids=[p[1][2] + p[1][4] for p in PASTED])
def test_parse_address_splits_a_pasted_address(text, expected):
    """A pasted address is split into recipient, mobile, province, city, district, detail."""
    parsed = parse_address(text)
    got = (parsed.recipient, parsed.mobile, parsed.province, parsed.city, parsed.district)
    assert (*got, parsed.detail) == expected
    assert parsed.is_complete


def test_parse_address_keeps_a_postcode_apart():
    """A six-digit postcode is recognised and not left in the street address."""
    parsed = parse_address("王五,18612345678,上海市 徐汇区 漕溪北路1号 200030")
    assert parsed.postcode == "200030"
    assert "200030" not in parsed.detail


def test_parse_address_leaves_missing_parts_empty():
    """Without a phone number or a region the parts stay empty, so the form asks for them."""
    parsed = parse_address("张三 科苑路15号")
    assert parsed.mobile == ""
    assert parsed.province == ""
    assert not parsed.is_complete
    assert parse_address("   ") == type(parsed)()


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("13812345678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("8613812345678", "13812345678"),
    ],
)
def test_validate_cn_mobile_normalizes(raw, normalized):
    """Mobile numbers in common spellings are stored as the 11-digit national number."""
    assert validate_cn_mobile(raw) == normalized


@pytest.mark.parametrize("raw", ["", "12345", "1381234567", "15412345678", "010-12345678", "abc"])
def test_validate_cn_mobile_rejects_with_the_field_named(raw):
    """A number that is not a mainland mobile is refused, and the error names the field."""
    with pytest.raises(ValidationFailed) as exc:
        validate_cn_mobile(raw, field="phone")
    assert list(exc.value.field_errors) == ["phone"]


@pytest.mark.django_db
def test_a_customer_has_at_most_one_default_address():
    """Marking another address default moves the default; the database refuses two."""
    customer = create_customer(mobile="13812345678", name="张三")
    fields = {
        "recipient": "张三",
        "mobile": "13812345678",
        "province": "广东省",
        "city": "深圳市",
        "district": "南山区",
    }
    first = add_address(actor=None, customer_id=customer.pk, detail="科苑路15号", **fields)
    second = add_address(
        actor=None, customer_id=customer.pk, detail="深南大道1号", is_default=True, **fields
    )
    first.refresh_from_db()
    assert (first.is_default, second.is_default) == (False, True)
    with pytest.raises(IntegrityError), transaction.atomic():
        Address.objects.filter(pk=first.pk).update(is_default=True)


@pytest.mark.django_db
def test_create_customer_refuses_a_taken_or_bad_mobile():
    """A mobile number identifies one customer; a second sign-up with it is refused."""
    create_customer(mobile="13812345678")
    with pytest.raises(ValidationFailed) as exc:
        create_customer(mobile="+86 138 1234 5678")
    assert "mobile" in exc.value.field_errors
    with pytest.raises(ValidationFailed):
        create_customer(mobile="12345")


def test_enough_pasted_addresses_cover_every_kind_of_province():
    """At least 30 examples, covering municipalities and all five autonomous regions."""
    provinces = {expected[2] for _text, expected in PASTED}
    assert len(PASTED) >= 30
    assert {"北京市", "上海市", "天津市", "重庆市"} <= provinces
    assert {"内蒙古自治区", "广西壮族自治区", "西藏自治区", "宁夏回族自治区",
            "新疆维吾尔自治区"} <= provinces  # fmt: skip


@pytest.mark.parametrize(
    "text",
    ["陈大文 13812340000 香港特别行政区九龙城区太子道西1号",
     "何小妹 13812340001 澳门特别行政区花地玛堂区友谊大马路1号"],
)  # fmt: skip
def test_hong_kong_and_macau_are_recognised_but_not_deliverable(text):
    """cpca names the SAR but has no city or district for it; the address book (mainland
    delivery only) refuses it on the province field."""
    parsed = parse_address(text)
    assert parsed.province.endswith("特别行政区") and not parsed.city
    with pytest.raises(ValidationFailed) as exc:
        check_region(province=parsed.province, city=parsed.city, district=parsed.district)
    assert "province" in exc.value.field_errors


def test_a_city_without_a_district_is_left_for_the_customer():
    """苏州工业园区 is not a district in cpca's data: the district stays empty to choose."""
    parsed = parse_address("李雷 13812340002 苏州市工业园区星湖街328号")
    assert (parsed.province, parsed.city, parsed.district) == ("江苏省", "苏州市", "")
    assert parsed.detail == "工业园区星湖街328号"
