"""Suppliers: their records, contacts, qualification documents and price lists.

Every change goes through here (views, API, commands and the demo call these); each one
runs in one transaction and refuses bad input with ValidationFailed, changing nothing.
"""

import datetime
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _
from stdnum.cn import uscc as stdnum_uscc
from stdnum.exceptions import ValidationError as StdnumError

from mercato.catalog.models import Category, Sku
from mercato.core.audit import acting_as
from mercato.core.errors import NotFound, ValidationFailed
from mercato.core.permissions import require_perm

from .models import Supplier, SupplierContact, SupplierDocument, SupplierPrice

SUPPLIER_FIELDS = {"name", "address", "bank_name", "bank_account", "is_active", "note"}
MAX_PRICE = Decimal("9999999999.99")


def clean_uscc(value) -> str:
    """The 18-character 统一社会信用代码, upper case, its check character verified."""
    text = str(value or "").strip().upper()
    try:
        return stdnum_uscc.validate(text)
    except StdnumError:
        raise ValidationFailed(
            {"uscc": [_("Not a valid unified social credit code: %(v)s") % {"v": text}]}
        ) from None


def clean_price(value, field: str = "price") -> Decimal:
    """A price above zero with at most two decimals."""
    try:
        amount = Decimal(str(value).strip())
        if not amount.is_finite():
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        raise ValidationFailed({field: [_("Not a number: %(v)s") % {"v": value}]}) from None
    if amount <= 0 or amount > MAX_PRICE:
        raise ValidationFailed({field: [_("A price must be above zero")]})
    if amount != amount.quantize(Decimal("0.01")):
        raise ValidationFailed({field: [_("A price has at most two decimal places")]})
    return amount.quantize(Decimal("0.01"))


def clean_quantity(value, field: str = "quantity") -> int:
    """A whole number of units above zero."""
    text = str(value).strip()
    if isinstance(value, bool) or not text.isdigit() or int(text) <= 0 or int(text) > 1_000_000:
        raise ValidationFailed({field: [_("Enter a whole number of units above zero")]})
    return int(text)


def _supplier(supplier_id, *, lock: bool = False) -> Supplier:
    queryset = Supplier.objects.select_for_update() if lock else Supplier.objects
    supplier = queryset.filter(pk=supplier_id).first()
    if supplier is None:
        raise NotFound(_("Supplier not found"), field="supplier")
    return supplier


def _categories(category_ids) -> list[int]:
    ids = sorted({int(i) for i in category_ids or []})
    if len(ids) != Category.objects.filter(pk__in=ids).count():
        raise ValidationFailed({"categories": [_("Unknown category")]})
    return ids


@transaction.atomic
def create_supplier(
    *, actor, code: str, name: str, uscc: str, category_ids=(), **fields
) -> Supplier:
    """A supplier; actor None: system set-up (demo data)."""
    if actor is not None:
        require_perm(actor, "procurement.add_supplier")
    unknown = set(fields) - SUPPLIER_FIELDS
    if unknown:
        raise ValidationFailed({f: ["Unknown field"] for f in sorted(unknown)})
    errors: dict[str, list[str]] = {}
    code, name = str(code or "").strip(), str(name or "").strip()
    if not code:
        errors["code"] = [_("Give the supplier a code")]
    elif Supplier.objects.filter(code=code).exists():
        errors["code"] = [_("A supplier with this code exists")]
    if not name:
        errors["name"] = [_("Give the company's name")]
    try:
        uscc = clean_uscc(uscc)
        if Supplier.objects.filter(uscc=uscc).exists():
            errors["uscc"] = [_("A supplier with this unified social credit code exists")]
    except ValidationFailed as exc:
        errors.update(exc.field_errors)
    if errors:
        raise ValidationFailed(errors)
    ids = _categories(category_ids)
    with acting_as(actor):
        supplier = Supplier.objects.create(code=code, name=name, uscc=uscc, **fields)
        supplier.categories.set(ids)
    return supplier


@transaction.atomic
def update_supplier(*, actor, supplier_id: int, category_ids=None, **fields) -> Supplier:
    """Change a supplier's record; `uscc` is checked again when given."""
    require_perm(actor, "procurement.change_supplier")
    supplier = _supplier(supplier_id, lock=True)
    unknown = set(fields) - SUPPLIER_FIELDS - {"uscc"}
    if unknown:
        raise ValidationFailed({f: ["Unknown field"] for f in sorted(unknown)})
    if "uscc" in fields:
        fields["uscc"] = clean_uscc(fields["uscc"])
        if Supplier.objects.filter(uscc=fields["uscc"]).exclude(pk=supplier.pk).exists():
            raise ValidationFailed(
                {"uscc": [_("A supplier with this unified social credit code exists")]}
            )
    if "name" in fields and not str(fields["name"]).strip():
        raise ValidationFailed({"name": [_("Give the company's name")]})
    with acting_as(actor):
        for name, value in fields.items():
            setattr(supplier, name, value)
        supplier.save()
        if category_ids is not None:
            supplier.categories.set(_categories(category_ids))
    return supplier


@transaction.atomic
def add_contact(
    *, actor, supplier_id: int, name: str, role="", phone="", email=""
) -> SupplierContact:
    if actor is not None:
        require_perm(actor, "procurement.change_supplier")
    supplier = _supplier(supplier_id)
    if not str(name or "").strip():
        raise ValidationFailed({"name": [_("Give the contact's name")]})
    with acting_as(actor):
        return SupplierContact.objects.create(
            supplier=supplier, name=name.strip(), role=role, phone=phone, email=email
        )


@transaction.atomic
def add_document(
    *, actor, supplier_id: int, kind: str, expires_on: datetime.date, number: str = ""
) -> SupplierDocument:
    """A qualification document and its expiry date (warned about before it expires)."""
    if actor is not None:
        require_perm(actor, "procurement.change_supplier")
    supplier = _supplier(supplier_id)
    if not str(kind or "").strip():
        raise ValidationFailed({"kind": [_("Say which document this is")]})
    if not isinstance(expires_on, datetime.date):
        raise ValidationFailed({"expires_on": [_("Give the expiry date")]})
    with acting_as(actor):
        return SupplierDocument.objects.create(
            supplier=supplier, kind=kind.strip(), number=number, expires_on=expires_on
        )


def _check_price_row(*, sku_id, price, min_quantity, valid_from, valid_to) -> dict:
    errors: dict[str, list[str]] = {}
    values = {}
    for field, check in (("price", clean_price), ("min_quantity", clean_quantity)):
        try:
            values[field] = check({"price": price, "min_quantity": min_quantity}[field], field)
        except ValidationFailed as exc:
            errors.update(exc.field_errors)
    if not isinstance(valid_from, datetime.date):
        errors["valid_from"] = [_("Give the date the price starts")]
    elif valid_to is not None and (
        not isinstance(valid_to, datetime.date) or valid_to < valid_from
    ):
        errors["valid_to"] = [_("The end date is before the start date")]
    if errors:
        raise ValidationFailed(errors)
    return {
        "sku_id": sku_id, "valid_from": valid_from, "valid_to": valid_to, **values
    }  # fmt: skip


def _save_prices(supplier: Supplier, rows: list[dict]) -> int:
    """Insert or replace (same SKU and start date) the price rows."""
    for row in rows:
        SupplierPrice.objects.update_or_create(
            supplier=supplier,
            sku_id=row["sku_id"],
            valid_from=row["valid_from"],
            defaults={k: row[k] for k in ("price", "min_quantity", "valid_to")},
        )
    return len(rows)


@transaction.atomic
def set_price(
    *, actor, supplier_id: int, sku_id: int, price, min_quantity=1, valid_from, valid_to=None
) -> SupplierPrice:
    """One price-list line (replacing the one of the same SKU and start date)."""
    if actor is not None:
        require_perm(actor, "procurement.change_supplier")
    supplier = _supplier(supplier_id)
    if not Sku.objects.filter(pk=sku_id).exists():
        raise NotFound(_("SKU not found"), field="sku")
    row = _check_price_row(
        sku_id=sku_id, price=price, min_quantity=min_quantity, valid_from=valid_from,
        valid_to=valid_to,
    )  # fmt: skip
    with acting_as(actor):
        _save_prices(supplier, [row])
    return SupplierPrice.objects.get(supplier=supplier, sku_id=sku_id, valid_from=valid_from)
