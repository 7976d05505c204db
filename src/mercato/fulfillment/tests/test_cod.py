"""Cash-on-delivery remittance files reconciled against delivered COD parcels."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from mercato.core.errors import PermissionDeniedError, ValidationFailed
from mercato.fulfillment import cod
from mercato.fulfillment.models import Remittance, RemittanceLine, Shipment
from mercato.payments.models import Payment
from mercato.testing.fulfillment import (
    ADDRESS,
    carriers,
    deliver,
    make_customer,
    make_shop,
    make_sku,
    place,
    stock,
)

pytestmark = pytest.mark.django_db
O = RemittanceLine.Outcome  # noqa: E741


@pytest.fixture
def delivered(db, make_staff):
    """Three delivered COD parcels (one carrier: 京东 is cheapest for COD) and a paid one."""
    import dataclasses

    warehouses = make_shop()
    carriers()
    sku = make_sku(price="100.00")
    stock(sku, warehouses["四川省"], 50, "A-01")
    worker = make_staff("procurement", roles=["order_processing"])
    orders = []
    for n in range(3):
        customer = make_customer()
        address = dataclasses.replace(ADDRESS, mobile=customer.mobile)
        orders.append(place(customer, (sku, n + 1), method="cod", address=address))
    prepaid = place(make_customer(), (sku, 1))
    deliver(*orders, prepaid, actor=worker)
    parcels = [Shipment.objects.select_related("carrier").get(order=o) for o in orders]
    return {"orders": orders, "parcels": parcels, "prepaid": Shipment.objects.get(order=prepaid),
            "finance": make_staff("finance")}  # fmt: skip


def upload(delivered, rows, carrier=None):
    text = "waybill_no,amount\n" + "".join(f"{w},{a}\n" for w, a in rows)
    carrier = carrier or delivered["parcels"][0].carrier.code
    return cod.import_remittance(
        actor=delivered["finance"], carrier_code=carrier, file=io.BytesIO(text.encode()),
        filename="jd-week-48.csv",
    )  # fmt: skip


def outcomes(remittance) -> dict:
    return dict(remittance.lines.values_list("waybill_no", "outcome"))


def test_matched_short_over_and_unexpected(delivered):
    one, two, three = delivered["parcels"]
    assert {p.carrier.code for p in delivered["parcels"]} == {"jd"}
    remittance = upload(delivered, [
        (one.waybill_no, one.cod_amount),
        (two.waybill_no, two.cod_amount - Decimal("10.00")),
        (three.waybill_no, three.cod_amount + Decimal("0.01")),
        ("JDV999999999999", "50.00"),
        (delivered["prepaid"].waybill_no, "0.00"),
    ])  # fmt: skip
    assert outcomes(remittance) == {
        one.waybill_no: O.MATCHED,
        two.waybill_no: O.SHORT,
        three.waybill_no: O.OVER,
        "JDV999999999999": O.UNEXPECTED,
        delivered["prepaid"].waybill_no: O.UNEXPECTED,
    }
    assert remittance.total == sum(
        (one.cod_amount, two.cod_amount - 10, three.cod_amount + Decimal("0.01"), 50), Decimal(0)
    )
    # The matched order's COD payment is paid; the short one waits for finance.
    assert Payment.objects.get(order=one.order).status == "paid"
    assert Payment.objects.get(order=two.order).status == "awaiting_collection"


def test_a_parcel_remitted_twice_is_flagged(delivered):
    one = delivered["parcels"][0]
    upload(delivered, [(one.waybill_no, one.cod_amount)])
    again = upload(delivered, [(one.waybill_no, one.cod_amount)])
    assert outcomes(again) == {one.waybill_no: O.DUPLICATE}


def test_malformed_rows_are_named_and_nothing_is_imported(delivered):
    one, two, _three = delivered["parcels"]
    with pytest.raises(ValidationFailed) as exc:
        upload(delivered, [(one.waybill_no, "12.345"), ("", "1.00"), (two.waybill_no, "abc"),
                           (one.waybill_no, "1.00")])  # fmt: skip
    assert set(exc.value.field_errors) == {
        "row 2.amount", "row 3.waybill_no", "row 4.amount", "row 5.waybill_no",
    }  # fmt: skip
    assert not Remittance.objects.exists()
    assert Payment.objects.get(order=one.order).status == "awaiting_collection"
    with pytest.raises(ValidationFailed):
        cod.import_remittance(actor=delivered["finance"], carrier_code="jd",
                              file=io.BytesIO(b"waybill,money\nA,1\n"))  # fmt: skip


def test_delivered_cod_parcels_nobody_paid_are_missing(delivered):
    one, two, three = delivered["parcels"]
    upload(delivered, [(one.waybill_no, one.cod_amount), (two.waybill_no, "1.00")])
    later = timezone.now() + timedelta(days=1)
    missing = list(cod.missing_remittances(delivered_before=later))
    assert missing == [three]  # short-paid two counts as paid, finance chases the rest
    assert list(cod.missing_remittances()) == []  # within the grace period


def test_only_finance_reconciles(delivered, make_staff):
    with pytest.raises(PermissionDeniedError):
        cod.import_remittance(actor=make_staff("procurement"), carrier_code="jd",
                              file=io.BytesIO(b"waybill_no,amount\nA,1\n"))  # fmt: skip
