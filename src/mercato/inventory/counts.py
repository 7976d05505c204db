"""Cycle counts (盘点): a count sheet of one warehouse's stock rows in a zone or of an ABC
class, the units found entered or scanned, the variance shown, approved by a lead when its
value at cost is above a limit, and posted as stock adjustments (ledger reason
`adjustment`, the count's number as reference) in one transaction. Every step writes a
CountEvent; an illegal step raises IllegalCountStep and changes nothing.
"""

from collections import Counter
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mercato.core.errors import Conflict, NotFound, ValidationFailed
from mercato.core.permissions import require_perm

from .models import CountEvent, CountLine, CountStatus, CountTask, Stock, StockMovement, Zone
from .selectors import abc_classes
from .services import _quantity, apply_movements

S = CountStatus
ALLOWED = {
    S.COUNTING: frozenset({S.AWAITING_APPROVAL, S.POSTED, S.CANCELLED}),
    S.AWAITING_APPROVAL: frozenset({S.POSTED, S.COUNTING, S.CANCELLED}),
    S.POSTED: frozenset(),
    S.CANCELLED: frozenset(),
}
ZERO = Decimal("0.00")


class IllegalCountStep(Conflict):
    code = "illegal_count_step"


def approval_limit() -> Decimal:
    """Variance value at cost (¥, counted over and short added up) above which a lead
    approves a count before it is posted (MERCATO_COUNT_APPROVAL_VALUE, 1000 by default)."""
    return Decimal(str(getattr(settings, "MERCATO_COUNT_APPROVAL_VALUE", "1000")))


def variance_value(lines) -> Decimal:
    """Σ |variance| × unit cost over counted lines (a line without a cost counts 0)."""
    return sum(
        (abs(line.variance) * (line.unit_cost or ZERO) for line in lines if line.variance),
        ZERO,
    )


def _step(task: CountTask, *, to: str, action: str, actor, note: str = "") -> None:
    """Move a locked task to `to` and write its event (a step that keeps the status, such
    as entering counts, passes to=task.status)."""
    if to != task.status and to not in ALLOWED[task.status]:
        raise IllegalCountStep(
            _("A count that is %(status)s cannot be %(action)s")
            % {"status": task.get_status_display(), "action": action},
        )
    CountEvent.objects.create(
        task=task, from_status=task.status, to_status=to, action=action, note=note[:200],
        actor=actor if getattr(actor, "pk", None) else None,
    )  # fmt: skip
    if to != task.status:
        task.status = to
        task.save(update_fields=["status", "reason"])


def _lock(task_id: int) -> CountTask:
    task = CountTask.objects.select_for_update().filter(pk=task_id).first()
    if task is None:
        raise NotFound(_("No such cycle count"))
    return task


@transaction.atomic
def create_count_task(
    *, actor, warehouse_id: int, zone_id: int | None = None, abc_class: str = "", now=None
) -> CountTask:
    """A count sheet of `warehouse_id`'s stock rows in the bins of `zone_id`, or of the
    SKUs of `abc_class` (A, B, C by sales value over 90 days); one of the two."""
    require_perm(actor, "inventory.count_stock")
    abc_class = (abc_class or "").strip().upper()
    if bool(zone_id) == bool(abc_class):
        raise ValidationFailed({"scope": [_("Choose a zone or an ABC class")]})
    rows = Stock.objects.filter(warehouse_id=warehouse_id).select_related("sku", "bin")
    if zone_id:
        if not Zone.objects.filter(pk=zone_id, warehouse_id=warehouse_id).exists():
            raise ValidationFailed({"zone": [_("This zone is not in the warehouse")]})
        rows = rows.filter(bin__zone_id=zone_id)
    else:
        if abc_class not in ("A", "B", "C"):
            raise ValidationFailed({"abc_class": [_("ABC class is A, B or C")]})
        classes = abc_classes(days=90, now=now)
        if abc_class == "C":  # SKUs that sold nothing are C too
            rows = rows.exclude(sku_id__in=[s for s, c in classes.items() if c != "C"])
        else:
            rows = rows.filter(sku_id__in=[s for s, c in classes.items() if c == abc_class])
    rows = list(rows.order_by("bin__code", "sku__code"))
    if not rows:
        raise ValidationFailed({"scope": [_("No stock rows to count there")]})
    task = CountTask.objects.create(
        number=f"tmp-{timezone.now().timestamp()}", warehouse_id=warehouse_id,
        scope=CountTask.Scope.ZONE if zone_id else CountTask.Scope.ABC, zone_id=zone_id or None,
        abc_class=abc_class if not zone_id else "", created_by=actor,
    )  # fmt: skip
    task.number = f"PD{timezone.localdate():%Y%m%d}{task.pk:05d}"
    task.save(update_fields=["number"])
    CountLine.objects.bulk_create(
        CountLine(task=task, stock=row, bin_code=row.bin.code if row.bin else "",
                  expected=row.on_hand, unit_cost=row.sku.cost_price)
        for row in rows
    )  # fmt: skip
    _step(task, to=task.status, action="created", actor=actor,
          note=_("%(n)s stock rows") % {"n": len(rows)})  # fmt: skip
    return task


@transaction.atomic
def record_counts(*, actor, task_id: int, counts=None, scans=()) -> list[CountLine]:
    """Enter the units found: `counts` {line id: units} sets a line's count; `scans` (SKU
    codes or barcodes, one per unit scanned) add one unit each to their line. The books'
    on-hand figure at this moment is kept beside each count. Returns the lines changed."""
    require_perm(actor, "inventory.count_stock")
    task = _lock(task_id)
    if task.status != S.COUNTING:
        raise IllegalCountStep(_("This count is no longer being counted"))
    lines = {line.pk: line for line in task.lines.select_related("stock__sku")}
    errors: dict[str, list[str]] = {}
    found: dict[int, int] = {}
    for key, value in (counts or {}).items():
        line_id = int(key) if str(key).isdigit() else None
        if line_id not in lines:
            errors[f"line-{key}"] = [_("Not a line of this count sheet")]
            continue
        if str(value).strip() == "":
            continue
        try:
            found[line_id] = 0 if str(value).strip() == "0" else _quantity(value)
        except ValidationFailed:
            errors[f"line-{line_id}"] = [_("Enter the units found: a whole number, 0 or more")]
    by_code = {}
    for line in lines.values():
        by_code[line.stock.sku.code.upper()] = line.pk
        if line.stock.sku.barcode:
            by_code[line.stock.sku.barcode.upper()] = line.pk
    scanned = Counter()
    for code in scans or ():
        code = str(code).strip().upper()
        if code and code not in by_code:
            errors["scan"] = [_("Not on this count sheet: %(code)s") % {"code": code}]
        elif code:
            scanned[by_code[code]] += 1
    if errors:
        raise ValidationFailed(errors)
    changed = set(found) | set(scanned)
    if not changed:
        raise ValidationFailed({"counts": [_("Enter or scan at least one count")]})
    on_hand = dict(
        Stock.objects.filter(pk__in=[lines[i].stock_id for i in changed]).values_list(
            "pk", "on_hand"
        )
    )
    now = timezone.now()
    for line_id in changed:
        line = lines[line_id]
        base = found.get(line_id, line.counted if line_id in scanned else 0) or 0
        line.counted = base + scanned.get(line_id, 0)
        line.expected_at_count = on_hand[line.stock_id]
        line.counted_by, line.counted_at = actor, now
    CountLine.objects.bulk_update(
        [lines[i] for i in changed], ["counted", "expected_at_count", "counted_by", "counted_at"]
    )
    _step(task, to=task.status, action="counted", actor=actor,
          note=_("%(n)s lines counted") % {"n": len(changed)})  # fmt: skip
    return [lines[i] for i in sorted(changed)]


@transaction.atomic
def submit_count(*, actor, task_id: int, reason: str = "") -> CountTask:
    """Every line counted: post the variance as adjustments, or, when its value at cost
    is above approval_limit() and the actor may not approve, wait for a lead. `reason`
    (why the books were wrong) is needed when there is any variance."""
    require_perm(actor, "inventory.count_stock")
    task = _lock(task_id)
    if task.status != S.COUNTING:
        raise IllegalCountStep(_("This count is no longer being counted"))
    lines = list(task.lines.all())
    missing = sum(1 for line in lines if line.counted is None)
    if missing:
        raise Conflict(
            _("%(n)s lines are not counted yet") % {"n": missing}, code="count_incomplete"
        )
    reason = (reason or "").strip()
    if any(line.variance for line in lines) and not reason:
        raise ValidationFailed({"reason": [_("Say why the counted units differ")]})
    task.reason = reason[:200]
    value = variance_value(lines)
    if value > approval_limit() and not actor.has_perm("inventory.approve_count"):
        _step(task, to=S.AWAITING_APPROVAL, action="submitted", actor=actor,
              note=_("Variance ¥%(v)s at cost") % {"v": value})  # fmt: skip
        return task
    _post(task, lines, actor=actor)
    return task


@transaction.atomic
def approve_count(*, actor, task_id: int, note: str = "") -> CountTask:
    """A lead approves a count's variance: it is posted."""
    require_perm(actor, "inventory.approve_count")
    task = _lock(task_id)
    if task.status != S.AWAITING_APPROVAL:
        raise IllegalCountStep(_("This count is not awaiting approval"))
    _post(task, list(task.lines.all()), actor=actor, note=note)
    return task


@transaction.atomic
def reject_count(*, actor, task_id: int, note: str) -> CountTask:
    """A lead sends a count back to be counted again (`note` says what to check)."""
    require_perm(actor, "inventory.approve_count")
    if not (note or "").strip():
        raise ValidationFailed({"note": [_("Say what to count again")]})
    task = _lock(task_id)
    _step(task, to=S.COUNTING, action="rejected", actor=actor, note=note.strip())
    return task


@transaction.atomic
def cancel_count(*, actor, task_id: int, note: str = "") -> CountTask:
    require_perm(actor, "inventory.count_stock")
    task = _lock(task_id)
    _step(task, to=S.CANCELLED, action="cancelled", actor=actor, note=(note or "").strip())
    return task


def _post(task: CountTask, lines, *, actor, note: str = "") -> None:
    """The variance of every line as one adjustment each, stock rows locked in primary-key
    order; refused (Conflict, nothing written) where on hand would fall under reserved."""
    deltas = {line.stock_id: line.variance for line in lines if line.variance}
    stocks = list(Stock.objects.select_for_update().filter(pk__in=list(deltas)).order_by("pk"))
    apply_movements(
        [
            {"stock": stock, "reason": StockMovement.Reason.ADJUSTMENT, "actor": actor,
             "on_hand_delta": deltas[stock.pk], "reference": task.number, "note": task.reason}
            for stock in stocks
        ]
    )  # fmt: skip
    _step(task, to=S.POSTED, action="posted", actor=actor,
          note=note or _("%(n)s adjustments") % {"n": len(stocks)})  # fmt: skip


def count_tasks(*, status: str = "", warehouse_id=None):
    """Cycle counts, newest first, with their warehouse and zone (the list page)."""
    tasks = CountTask.objects.select_related("warehouse", "zone")
    if status:
        tasks = tasks.filter(status=status)
    if warehouse_id:
        tasks = tasks.filter(warehouse_id=warehouse_id)
    return tasks


def count_sheet(*, number: str):
    """A count with its lines (SKU, product) and events, or None."""
    task = CountTask.objects.select_related("warehouse", "zone").filter(number=number).first()
    if task is None:
        return None
    task.sheet = list(task.lines.select_related("stock__sku__product", "counted_by"))
    task.steps = list(task.events.select_related("actor"))
    return task
