import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
import time_machine

from mercato.core.errors import ValidationFailed
from mercato.procurement import pricelists, selectors, suppliers
from mercato.procurement.models import Supplier, SupplierPrice
from mercato.testing.factories import SkuFactory


@pytest.mark.django_db
def test_a_wrong_unified_social_credit_code_is_refused(buyer):
    with pytest.raises(ValidationFailed) as caught:
        suppliers.create_supplier(actor=buyer, code="bad", name="某公司", uscc="91330100799655058C")
    assert "uscc" in caught.value.field_errors
    assert not Supplier.objects.exists()
    made = suppliers.create_supplier(
        actor=buyer, code="ok", name="某公司", uscc=" 91330100799655058b "
    )
    assert made.uscc == "91330100799655058B"


@pytest.mark.django_db
def test_bank_details_are_masked_except_for_finance_and_procurement_leads(
    supplier, buyer, lead, finance
):
    account = supplier.bank_account
    assert selectors.bank_account_for(buyer, account) == "**** 5678"
    assert selectors.bank_account_for(lead, account) == account
    assert selectors.bank_account_for(finance, account) == account


@pytest.mark.django_db
@time_machine.travel("2026-03-01 10:00 +0800", tick=False)
def test_documents_expiring_within_30_days_are_warned_about(supplier):
    for kind, day in [
        ("营业执照", "2026-03-31"),
        ("ISO9001", "2026-04-01"),
        ("旧证", "2026-02-01"),
    ]:
        suppliers.add_document(
            actor=None, supplier_id=supplier.pk, kind=kind,
            expires_on=datetime.date.fromisoformat(day),
        )  # fmt: skip
    assert [d.kind for d in selectors.expiring_documents()] == ["旧证", "营业执照"]


def _xlsx(rows) -> io.BytesIO:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    data = io.BytesIO()
    book.save(data)
    data.seek(0)
    return data


@pytest.mark.django_db
def test_a_price_list_with_bad_rows_says_what_is_wrong_per_row_and_saves_nothing(supplier, buyer):
    sku = SkuFactory(code="TEA-001")
    upload = _xlsx(
        [
            ["SKU编码", "单价", "起订量", "生效日期", "失效日期"],
            ["TEA-001", 12.5, 10, datetime.date(2026, 1, 1), None],
            ["NOPE", 3, 1, "2026-01-01", None],
            ["TEA-001", -1, 1, "2026-02-01", None],
            ["TEA-001", 5, 0, "2026-03-01", None],
            ["TEA-001", 5, 1, "2026-05-01", "2026-04-01"],
        ]
    )
    result = pricelists.import_price_list(
        actor=buyer, supplier_id=supplier.pk, upload=upload, filename="价格表.xlsx"
    )
    assert [row for row, _msg in result.errors] == [3, 4, 5, 6]
    assert "NOPE" in result.errors[0][1]
    assert result.saved == 0 and not SupplierPrice.objects.exists()
    good = _xlsx([["sku_code", "price", "valid_from"], ["TEA-001", "12.50", "2026-01-01"]])
    result = pricelists.import_price_list(
        actor=buyer, supplier_id=supplier.pk, upload=good, filename="p.xlsx"
    )
    assert result.errors == [] and result.saved == 1
    assert SupplierPrice.objects.get(sku=sku).price == Decimal("12.50")
