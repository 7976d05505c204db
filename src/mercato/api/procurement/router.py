"""Suppliers and purchase orders over the staff API: /api/staff/procurement/suppliers (list,
one with its performance), /api/staff/procurement/purchase-orders (list, one, create a
draft, submit, approve). The same selectors and services as the back office; bank account
numbers masked without procurement.view_bank_details."""

from ninja import Query, Router, Status

from mercato.api.auth import staff_auth
from mercato.api.listing import check_choice, page_of
from mercato.api.schemas import PathId, responses
from mercato.catalog.models import Sku
from mercato.core.errors import NotFound, ValidationFailed
from mercato.core.permissions import require_perm
from mercato.procurement import orders, selectors
from mercato.procurement.models import POStatus, PurchaseOrder, Supplier

from .schemas import (
    NoteIn,
    PurchaseOrderDetailOut,
    PurchaseOrderIn,
    PurchaseOrderPageOut,
    SupplierDetailOut,
    SupplierPageOut,
)

router = Router(tags=["procurement"], auth=staff_auth)
PAGE_SIZE = 50


def _supplier(user, s: Supplier) -> dict:
    return {
        "id": s.pk,
        "code": s.code,
        "name": s.name,
        "uscc": s.uscc,
        "is_active": s.is_active,
        "bank_name": s.bank_name,
        "bank_account": selectors.bank_account_for(user, s.bank_account),
        "categories": [c.name for c in s.categories.all()],
    }


@router.get("/procurement/suppliers", response=responses(SupplierPageOut), summary="List suppliers")
def list_suppliers(
    request, q: str = Query("", max_length=60), page: int = Query(1, ge=1, le=10_000)
):  # fmt: skip
    require_perm(request.auth, "procurement.view_supplier")
    return page_of(
        selectors.supplier_rows(q=q.strip()), page=page, per_page=PAGE_SIZE,
        row=lambda s: _supplier(request.auth, s),
    )  # fmt: skip


@router.get(
    "/procurement/suppliers/{supplier_id}",
    response=responses(SupplierDetailOut),
    summary="One supplier with its performance",
)
def get_supplier(request, supplier_id: PathId):
    require_perm(request.auth, "procurement.view_supplier")
    supplier = Supplier.objects.prefetch_related("categories").filter(pk=supplier_id).first()
    if supplier is None:
        raise NotFound("Supplier not found")
    performance = selectors.supplier_performance(supplier_id=supplier.pk)
    return {
        **_supplier(request.auth, supplier),
        "address": supplier.address,
        "performance": performance.__dict__,
    }


def _order_row(o) -> dict:
    return {
        "number": o.number,
        "supplier_id": o.supplier_id,
        "supplier": o.supplier.name,
        "warehouse_id": o.warehouse_id,
        "status": o.status,
        "status_label": str(o.get_status_display()),
        "promised_date": o.promised_date,
        "total": o.total,
    }


def _order_detail(number: str) -> dict:
    order = selectors.order_detail(number=number)
    if order is None:
        raise NotFound("Purchase order not found")
    return {
        **_order_row(order),
        "lines": [
            {
                "sku_code": ln.sku.code,
                "quantity": ln.quantity,
                "unit_price": ln.unit_price,
                "received": ln.received,
                "accepted": ln.accepted,
                "rejected": ln.rejected,
            }  # fmt: skip
            for ln in order.lines.all()
        ],
        "events": [
            {
                "from_status": e.from_status,
                "to_status": e.to_status,
                "by": str(e.actor) if e.actor else None,
                "note": e.note,
                "at": e.created_at,
            }  # fmt: skip
            for e in order.events.all()
        ],
    }


@router.get(
    "/procurement/purchase-orders",
    response=responses(PurchaseOrderPageOut),
    summary="List purchase orders",
)
def list_orders(
    request, status: str = Query("", max_length=20), page: int = Query(1, ge=1, le=10_000)
):  # fmt: skip
    require_perm(request.auth, "procurement.view_purchaseorder")
    check_choice("status", status, POStatus)
    return page_of(
        selectors.order_rows(status=status), page=page, per_page=PAGE_SIZE, row=_order_row
    )


@router.get(
    "/procurement/purchase-orders/{number}",
    response=responses(PurchaseOrderDetailOut),
    summary="One purchase order with its lines and history",
)
def get_order(request, number: str):
    require_perm(request.auth, "procurement.view_purchaseorder")
    return _order_detail(number)


@router.post(
    "/procurement/purchase-orders",
    response=responses(PurchaseOrderDetailOut, 201),
    summary="Create a draft purchase order",
)
def create_order(request, payload: PurchaseOrderIn):
    require_perm(request.auth, "procurement.add_purchaseorder")
    codes = [ln.sku_code.strip() for ln in payload.lines]
    skus = dict(Sku.objects.filter(code__in=codes).values_list("code", "pk"))
    unknown = {f"lines.{i}": ["Unknown SKU code"] for i, c in enumerate(codes) if c not in skus}
    if unknown:
        raise ValidationFailed(unknown)
    order = orders.create_purchase_order(
        actor=request.auth,
        supplier_id=payload.supplier_id,
        warehouse_id=payload.warehouse_id,
        promised_date=payload.promised_date,
        lines=[
            {"sku_id": skus[c], "quantity": ln.quantity, "unit_price": ln.unit_price}
            for c, ln in zip(codes, payload.lines, strict=True)
        ],
        note=payload.note,
    )
    return Status(201, _order_detail(order.number))


def _number_to_id(number: str) -> int:
    order_id = PurchaseOrder.objects.filter(number=number).values_list("pk", flat=True).first()
    if order_id is None:
        raise NotFound("Purchase order not found")
    return order_id


@router.post(
    "/procurement/purchase-orders/{number}/submit",
    response=responses(PurchaseOrderDetailOut),
    summary="Submit a draft for approval (approved at once up to the lead limit)",
)
def submit_order(request, number: str):
    orders.submit_purchase_order(actor=request.auth, order_id=_number_to_id(number))
    return _order_detail(number)


@router.post(
    "/procurement/purchase-orders/{number}/approve",
    response=responses(PurchaseOrderDetailOut),
    summary="Approve: the lead's step, then finance's above the finance limit",
)
def approve_order(request, number: str, payload: NoteIn):
    orders.approve_purchase_order(
        actor=request.auth, order_id=_number_to_id(number), note=payload.note
    )
    return _order_detail(number)
