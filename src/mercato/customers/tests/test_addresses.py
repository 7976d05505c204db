import pytest
from django.db import IntegrityError, transaction

from mercato.core.errors import ValidationFailed
from mercato.customers.models import Address
from mercato.customers.services import (
    add_address,
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
