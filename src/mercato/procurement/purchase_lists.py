"""Purchase lists (采购名单): operations' SKUs and quantities per warehouse, typed by hand or
generated from the purchase suggestions (procurement.planning), then turned into draft
purchase orders, one per supplier and warehouse (procurement.orders)."""

import datetime
from collections import defaultdict

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from mercato.catalog.models import Sku
from mercato.core.audit import acting_as
from mercato.core.errors import Conflict, NotFound, ValidationFailed
from mercato.core.permissions import require_perm
from mercato.inventory.models import Warehouse

from . import orders, planning
from .models import PurchaseList, PurchaseListLine, PurchaseListStatus
from .suppliers import clean_quantity

L = PurchaseListStatus
ADD = "procurement.add_purchaselist"
CHANGE = "procurement.change_purchaselist"
MAX_LINES = 5_000
WHY_FIELDS = (
    "method", "daily_forecast", "forecast_units", "cover_days", "lead_time_days",
    "safety_stock", "available", "in_transit", "on_order", "min_quantity",
)  # fmt: skip


def _list(purchase_list_id, *, lock: bool = True) -> PurchaseList:
    queryset = PurchaseList.objects.select_for_update() if lock else PurchaseList.objects
    found = queryset.filter(pk=purchase_list_id).first()
    if found is None:
        raise NotFound(_("Purchase list not found"))
    return found


def _editable(purchase_list: PurchaseList) -> None:
    if purchase_list.status != L.DRAFT:
        raise Conflict(
            _("A purchase list that is %(now)s cannot change")
            % {"now": purchase_list.get_status_display()},
            code="not_editable",
        )


def _number(purchase_list: PurchaseList) -> None:
    purchase_list.number = f"PL{timezone.localdate():%Y%m%d}{purchase_list.pk:05d}"
    purchase_list.save(update_fields=["number"])


def _clean_new_lines(purchase_list: PurchaseList | None, lines) -> list[dict]:
    """[{sku_id, warehouse_id, quantity}] checked: every bad line named, nothing saved."""
    lines = list(lines or [])
    if len(lines) > MAX_LINES:
        raise ValidationFailed({"lines": [_("At most %(n)s lines") % {"n": MAX_LINES}]})
    skus = set(
        Sku.objects.filter(pk__in=[ln.get("sku_id") for ln in lines]).values_list("pk", flat=True)
    )
    warehouses = set(Warehouse.objects.filter(is_active=True).values_list("pk", flat=True))
    taken = set()
    if purchase_list is not None:
        taken = set(purchase_list.lines.values_list("sku_id", "warehouse_id"))
    errors, cleaned = {}, []
    for i, line in enumerate(lines):
        key = f"lines.{i}"
        try:
            if line.get("sku_id") not in skus:
                raise ValidationFailed({key: [_("SKU not found")]})
            if line.get("warehouse_id") not in warehouses:
                raise ValidationFailed({key: [_("Warehouse not found")]})
            pair = (line["sku_id"], line["warehouse_id"])
            if pair in taken:
                raise ValidationFailed(
                    {key: [_("This SKU is already on the list for this warehouse")]}
                )
            quantity = clean_quantity(line.get("quantity"), key)
        except ValidationFailed as exc:
            errors[key] = [str(m) for msgs in exc.field_errors.values() for m in msgs]
            continue
        taken.add(pair)
        cleaned.append({"sku_id": pair[0], "warehouse_id": pair[1], "quantity": quantity})
    if errors:
        raise ValidationFailed(errors)
    return cleaned


def _with_suppliers(lines: list[dict]) -> list[PurchaseListLine]:
    prices = planning.best_prices(
        sku_ids={ln["sku_id"] for ln in lines}, today=timezone.localdate()
    )
    return [
        PurchaseListLine(supplier_id=prices.get(ln["sku_id"], (None,))[0], **ln) for ln in lines
    ]


@transaction.atomic
def create_purchase_list(*, actor, note: str = "", lines=()) -> PurchaseList:
    """A draft list with lines typed by hand (none is fine: add them later)."""
    if actor is not None:
        require_perm(actor, ADD)
    cleaned = _clean_new_lines(None, lines)
    with acting_as(actor):
        purchase_list = PurchaseList.objects.create(
            number=f"tmp-{timezone.now().timestamp()}", note=str(note or "")[:200],
            created_by=actor if getattr(actor, "pk", None) else None,
        )  # fmt: skip
        _number(purchase_list)
        for line in _with_suppliers(cleaned):
            line.purchase_list = purchase_list
            line.save()
    return purchase_list


@transaction.atomic
def add_lines(*, actor, purchase_list_id: int, lines) -> PurchaseList:
    require_perm(actor, CHANGE)
    purchase_list = _list(purchase_list_id)
    _editable(purchase_list)
    cleaned = _clean_new_lines(purchase_list, lines)
    if not cleaned:
        raise ValidationFailed({"lines": [_("Give at least one line")]})
    new = _with_suppliers(cleaned)
    for line in new:
        line.purchase_list = purchase_list
    with acting_as(actor):
        PurchaseListLine.objects.bulk_create(new)
    return purchase_list


@transaction.atomic
def change_lines(*, actor, purchase_list_id: int, quantities: dict, remove=()) -> PurchaseList:
    """New quantities {line_id: quantity} and lines to remove; a bad quantity refuses all."""
    require_perm(actor, CHANGE)
    purchase_list = _list(purchase_list_id)
    _editable(purchase_list)
    lines = {ln.pk: ln for ln in purchase_list.lines.all()}
    remove = {int(r) for r in remove}
    errors, changed = {}, []
    for line_id, value in quantities.items():
        line = lines.get(int(line_id))
        if line is None:
            errors[f"quantity-{line_id}"] = [_("This line is not on the list")]
            continue
        if line.pk in remove:
            continue
        try:
            quantity = clean_quantity(value, f"quantity-{line_id}")
        except ValidationFailed as exc:
            errors.update(exc.field_errors)
            continue
        if quantity != line.quantity:
            line.quantity = quantity
            changed.append(line)
    if errors:
        raise ValidationFailed(errors)
    with acting_as(actor):
        PurchaseListLine.objects.bulk_update(changed, ["quantity"])
        purchase_list.lines.filter(pk__in=remove).delete()
        purchase_list.save(update_fields=["updated_at"])
    return purchase_list


def start_generation(*, actor, note: str = "", background: bool = True) -> PurchaseList:
    """A new list in the "generating" state; the suggestions are computed in the
    background (procurement.tasks.generate_purchase_list_task) after commit, or at once
    with background=False (the demo's seed)."""
    from .tasks import generate_purchase_list_task

    require_perm(actor, ADD)
    with transaction.atomic():
        purchase_list = PurchaseList.objects.create(
            number=f"tmp-{timezone.now().timestamp()}", status=L.GENERATING,
            note=str(note or "")[:200], created_by=actor,
        )  # fmt: skip
        _number(purchase_list)
        if background:
            transaction.on_commit(lambda: generate_purchase_list_task.delay(purchase_list.pk))
    if not background:
        return generate_suggestions(purchase_list_id=purchase_list.pk)
    return purchase_list


STALE_MINUTES = 10


def stuck(purchase_list: PurchaseList, *, now=None) -> bool:
    """Failed, or generating with no progress for STALE_MINUTES (its worker died)."""
    if purchase_list.status == L.FAILED:
        return True
    quiet = (now or timezone.now()) - purchase_list.updated_at
    return purchase_list.status == L.GENERATING and quiet > datetime.timedelta(
        minutes=STALE_MINUTES
    )


def retry_generation(*, actor, purchase_list_id: int, background: bool = True) -> PurchaseList:
    """Compute a failed or stuck list's suggestions again: back to generating, progress
    from zero, the task queued after commit (or run at once with background=False).
    Conflict while it is still making progress, or once it has suggestions."""
    from .tasks import generate_purchase_list_task

    require_perm(actor, ADD)
    with transaction.atomic():
        purchase_list = _list(purchase_list_id)
        if not stuck(purchase_list):
            raise Conflict(
                _("Only a failed list, or one with no progress for %(n)s minutes, is retried.")
                % {"n": STALE_MINUTES},
                field="purchase_list", code="not_stuck",
            )  # fmt: skip
        purchase_list.status, purchase_list.message = L.GENERATING, ""
        purchase_list.progress_done = purchase_list.progress_total = 0
        purchase_list.save(update_fields=["status", "message", "progress_done",
                                          "progress_total", "updated_at"])  # fmt: skip
        if background:
            transaction.on_commit(lambda: generate_purchase_list_task.delay(purchase_list.pk))
    if not background:
        return generate_suggestions(purchase_list_id=purchase_list.pk)
    return purchase_list


def generate_suggestions(*, purchase_list_id: int, today=None) -> PurchaseList:
    """Fill a generating list with the suggestions (its progress saved as it goes); the
    list becomes a draft, or failed with the reason. Run by the background task."""
    purchase_list = _list(purchase_list_id, lock=False)
    if purchase_list.status != L.GENERATING:
        return purchase_list  # a task delivered twice does nothing twice

    def progress(done, total):
        # updated_at too: a list generating without progress for STALE_MINUTES is stuck.
        PurchaseList.objects.filter(pk=purchase_list.pk).update(
            progress_done=done, progress_total=total, updated_at=timezone.now()
        )

    try:
        suggestions = planning.suggest(today=today, progress=progress)
    except Exception:
        PurchaseList.objects.filter(pk=purchase_list.pk).update(
            status=L.FAILED, message=gettext_noop("The suggestions could not be computed")
        )
        raise
    with transaction.atomic():
        purchase_list = _list(purchase_list_id)
        if purchase_list.status != L.GENERATING:
            return purchase_list  # a retried run finished first: its lines stand
        PurchaseListLine.objects.bulk_create(
            (
                PurchaseListLine(
                    purchase_list=purchase_list,
                    sku_id=s.sku_id,
                    warehouse_id=s.warehouse_id,
                    quantity=s.quantity,
                    supplier_id=s.supplier_id,
                    suggested=True,
                    **{f: getattr(s, f) for f in WHY_FIELDS},
                )  # fmt: skip
                for s in suggestions
            ),
            batch_size=2_000,
        )
        purchase_list.status = L.DRAFT
        purchase_list.save(update_fields=["status", "updated_at"])
    return purchase_list


@transaction.atomic
def convert_to_purchase_orders(*, actor, purchase_list_id: int, promised_date=None) -> list:
    """Draft purchase orders, one per (supplier, warehouse), prices from the price lists.
    Refused, with nothing created, when a line has no supplier."""
    require_perm(actor, CHANGE)
    require_perm(actor, "procurement.add_purchaseorder")
    purchase_list = _list(purchase_list_id)
    _editable(purchase_list)
    lines = list(purchase_list.lines.select_related("sku").order_by("warehouse_id", "sku_id"))
    if not lines:
        raise ValidationFailed({"lines": [_("The list has no lines")]})
    orphans = [ln.sku.code for ln in lines if ln.supplier_id is None]
    if orphans:
        raise ValidationFailed(
            {
                "lines": [
                    _("No supplier has a valid price for: %(codes)s")
                    % {"codes": ", ".join(orphans[:20])}
                ]
            }
        )
    groups = defaultdict(list)
    for line in lines:
        groups[line.supplier_id, line.warehouse_id].append(line)
    leads = planning.lead_times(supplier_ids={s for s, _w in groups})
    created = []
    for (supplier_id, warehouse_id), group in sorted(groups.items()):
        promised = promised_date or timezone.localdate() + datetime.timedelta(
            days=leads[supplier_id]
        )
        order = orders.create_purchase_order(
            actor=actor, supplier_id=supplier_id, warehouse_id=warehouse_id,
            promised_date=promised,
            lines=[{"sku_id": ln.sku_id, "quantity": ln.quantity} for ln in group],
            note=purchase_list.number,
        )  # fmt: skip
        PurchaseListLine.objects.filter(pk__in=[ln.pk for ln in group]).update(purchase_order=order)
        created.append(order)
    with acting_as(actor):
        purchase_list.status = L.CONVERTED
        purchase_list.save(update_fields=["status", "updated_at"])
    return created
