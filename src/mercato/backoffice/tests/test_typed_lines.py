"""Lines typed into the procurement forms (purchase orders, transfers, tenders, purchase
lists) are read by one parser: the same separators, the same messages."""

import pytest

from mercato.backoffice.typed_lines import parse_typed_lines
from mercato.core.errors import ValidationFailed
from mercato.testing.factories import SkuFactory
from mercato.testing.procurement import make_shanghai_warehouse

pytestmark = pytest.mark.django_db


def test_rows_with_a_warehouse_and_an_optional_price():
    """Commas, full-width commas, tabs and spaces all separate; a price may be left out."""
    sku = SkuFactory(code="MON-27")
    house = make_shanghai_warehouse()
    rows = parse_typed_lines(f"MON-27，{house.code}\t5\n\nMON-27 {house.code}, 6, 9.90",
                             usage="usage", warehouse=True, price=True)  # fmt: skip
    assert rows == [
        {"sku_id": sku.pk, "warehouse_id": house.pk, "quantity": "5", "unit_price": None},
        {"sku_id": sku.pk, "warehouse_id": house.pk, "quantity": "6", "unit_price": "9.90"},
    ]


def test_every_bad_row_is_named_at_once():
    """A row of the wrong shape says how to write one; unknown codes are named (in Chinese,
    the shop's first language)."""
    SkuFactory(code="KB-1")
    house = make_shanghai_warehouse()
    with pytest.raises(ValidationFailed) as exc:
        parse_typed_lines(
            f"KB-1\nNOPE, {house.code}, 1\nKB-1, XX9, 2\nKB-1, {house.code}, 3",
            usage="Write: SKU code, warehouse code, quantity",
            warehouse=True,
        )
    assert exc.value.field_errors == {
        "lines.0": ["Write: SKU code, warehouse code, quantity"],
        "lines.1": ["未知的 SKU 编码：NOPE"],
        "lines.2": ["未知的仓库编码：XX9"],
    }
