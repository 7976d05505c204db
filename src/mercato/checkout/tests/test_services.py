from decimal import Decimal

import pytest
from django.db import IntegrityError
from stdnum.cn import uscc

from mercato.checkout.models import ShippingRate, ShippingZone, ShippingZoneProvince
from mercato.checkout.services import save_shipping_zone, shipping_fee, validate_invoice
from mercato.core.errors import DomainError, ValidationFailed
from mercato.core.regions import mainland_provinces

D = Decimal
pytestmark = pytest.mark.django_db


RATE = {
    "first_weight_g": 1000,
    "first_fee": D("8.00"),
    "extra_weight_step_g": 500,
    "extra_fee": D("2.50"),
}


def make_zone(name, provinces, **rate):
    return save_shipping_zone(name=name, provinces=provinces, **(RATE | rate))


@pytest.fixture
def zones():
    make_zone("江浙沪", ["上海市", "江苏省", "浙江省"])
    make_zone("偏远", ["新疆维吾尔自治区", "西藏自治区"], first_fee=D("20.00"), extra_fee=D("10"))


def test_provinces_are_cpca_names():
    """The zone provinces used here are spelled as core.regions spells them."""
    assert {"上海市", "江苏省", "浙江省", "新疆维吾尔自治区", "西藏自治区"} <= set(
        mainland_provinces()
    )


@pytest.mark.parametrize(
    ("province", "weight_g", "fee"),
    [
        ("上海市", 0, "8.00"),
        ("上海市", 1000, "8.00"),  # first weight included
        ("江苏省", 1001, "10.50"),  # one gram over starts a step
        ("浙江省", 1500, "10.50"),
        ("浙江省", 1501, "13.00"),
        ("西藏自治区", 3200, "70.00"),  # 20 + 5 steps × 10
    ],
)
def test_fee_rounds_weight_up_to_the_step(
    zones, province, weight_g, fee, django_assert_max_num_queries
):
    """首重 covers the first weight; every started extra step costs the extra fee."""
    with django_assert_max_num_queries(1):
        assert shipping_fee(province=province, weight_g=weight_g, goods_total=D("50")) == D(fee)


def test_free_at_or_above_the_threshold(zones, settings):
    """Goods worth ¥99.00 or more ship free by default; 5 kg otherwise costs 28.00."""
    assert shipping_fee(province="上海市", weight_g=5000, goods_total=D("98.99")) == D("28.00")
    assert shipping_fee(province="上海市", weight_g=5000, goods_total=D("99.00")) == D("0.00")
    settings.MERCATO_FREE_SHIPPING_THRESHOLD = D("199.00")
    assert shipping_fee(province="上海市", weight_g=5000, goods_total=D("99.00")) == D("28.00")


def test_unknown_province_names_the_field(zones):
    """A province outside every zone is refused, even when shipping would be free."""
    for province in ("火星", "北京市", ""):
        with pytest.raises(DomainError) as exc:
            shipping_fee(province=province, weight_g=100, goods_total=D("500"))
        assert exc.value.field == "province"


def test_negative_weight_refused(zones):
    """A negative weight is refused naming weight_g."""
    with pytest.raises(DomainError) as exc:
        shipping_fee(province="上海市", weight_g=-1, goods_total=D("1"))
    assert exc.value.field == "weight_g"


def test_rate_constraints():
    """The database refuses negative fees."""
    zone = ShippingZone.objects.create(name="z")
    with pytest.raises(IntegrityError):
        ShippingRate.objects.create(
            zone=zone, first_weight_g=1, first_fee=D("-1"), extra_weight_step_g=1, extra_fee=D(0)
        )


def test_province_in_one_zone_only(zones):
    """A province belongs to one zone, so its fee is never ambiguous."""
    with pytest.raises(IntegrityError):
        ShippingZoneProvince.objects.create(zone=ShippingZone.objects.first(), province="上海市")


def valid_uscc(body="91110108MA01234567"[:17]):
    return body + uscc.calc_check_digit(body)


def test_company_invoice_with_valid_uscc():
    """A 企业 invoice with a well-formed code and right check digit is accepted, compacted."""
    code = valid_uscc()
    spaced = f" {code[:6]} {code[6:].lower()} "
    assert validate_invoice(kind="企业", title=" 某某科技有限公司 ", tax_id=spaced) == {
        "kind": "企业",
        "title": "某某科技有限公司",
        "tax_id": code,
    }
    real = "91110000600037341L"  # a published real-format code
    assert validate_invoice(kind="企业", title="x", tax_id=real)["tax_id"] == real


def test_company_invoice_wrong_check_digit():
    """One wrong check character is caught and named tax_id."""
    code = valid_uscc()
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
    for bad in (wrong, code[:-1], "1234", "91110108MA0123456I"):
        with pytest.raises(ValidationFailed) as exc:
            validate_invoice(kind="企业", title="某公司", tax_id=bad)
        assert set(exc.value.field_errors) == {"tax_id"}


def test_company_invoice_needs_title_and_code():
    """企业 without title and code names both fields."""
    with pytest.raises(ValidationFailed) as exc:
        validate_invoice(kind="企业", title=" ", tax_id="")
    assert set(exc.value.field_errors) == {"title", "tax_id"}


def test_personal_invoice():
    """个人 needs a title and takes no tax id."""
    assert validate_invoice(kind="个人", title="张三", tax_id="")["tax_id"] == ""
    with pytest.raises(ValidationFailed) as exc:
        validate_invoice(kind="个人", title="", tax_id=valid_uscc())
    assert set(exc.value.field_errors) == {"title", "tax_id"}


def test_unknown_invoice_kind():
    """Any kind other than 个人/企业 is refused naming kind."""
    with pytest.raises(ValidationFailed) as exc:
        validate_invoice(kind="other", title="x", tax_id="")
    assert set(exc.value.field_errors) == {"kind"}


def test_save_zone_replaces_provinces_and_rate(zones):
    """Saving a zone again replaces its provinces and rate; freed provinces become unknown."""
    make_zone("江浙沪", ["上海市", "江苏省"], first_fee=D("6"))
    assert shipping_fee(province="上海市", weight_g=1, goods_total=D("1")) == D("6.00")
    with pytest.raises(DomainError):
        shipping_fee(province="浙江省", weight_g=1, goods_total=D("1"))
    assert ShippingRate.objects.count() == 2


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"provinces": ["火星省"]}, "provinces"),
        ({"provinces": ["新疆维吾尔自治区"]}, "provinces"),  # already in 偏远
        ({"provinces": []}, "provinces"),
        ({"name": " "}, "name"),
        ({"first_fee": D("-0.01")}, "first_fee"),
        ({"extra_fee": D("-1")}, "extra_fee"),
        ({"extra_weight_step_g": 0}, "extra_weight_step_g"),
        ({"first_weight_g": -1}, "first_weight_g"),
    ],
)
def test_save_zone_refuses_bad_input_writing_nothing(zones, changes, field):
    """Bad zone input names the field and leaves the table as it was."""
    before = list(ShippingZoneProvince.objects.values_list("zone__name", "province"))
    with pytest.raises(ValidationFailed) as exc:
        save_shipping_zone(**({"name": "华北", "provinces": ["北京市"]} | RATE | changes))
    assert field in exc.value.field_errors
    assert list(ShippingZoneProvince.objects.values_list("zone__name", "province")) == before
    assert not ShippingZone.objects.filter(name="华北").exists()
