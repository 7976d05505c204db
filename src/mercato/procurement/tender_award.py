"""Scoring a tender's bids, awarding them, and the resources promised in return.

Scoring (after the deadline only) ranks the bids of each tender line by
    total = (w_price × price score + w_delivery × delivery score + w_supplier × supplier
             score) / 100
where, among the line's bids,
- price score = 100 × lowest effective unit price / this bid's effective unit price; the
  effective price counts the resource the supplier gets in return (资源换价格): every price
  of a bid is lowered in the proportion of the resource's value to the bid's amount;
- delivery score = 100 × fewest days / this bid's days, days counted from the deadline's
  date to the delivery date (at least 1);
- supplier score = 50 × on-time delivery rate + 50 × (1 − quality reject rate), from
  procurement.selectors.supplier_performance; a figure without receipts counts 25.

An award gives units of bid lines (whole or split between suppliers, at most the tender
line's quantity); a reason is required when it departs from the ranking. The awarded
units become draft purchase orders through procurement.orders (one per supplier and
warehouse), and each awarded bid's resource becomes a task for website operations.
"""

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mercato.catalog.services.merchandising import create_home_slot
from mercato.core.days import day_start
from mercato.core.errors import Conflict, NotFound, ValidationFailed
from mercato.core.permissions import require_perm

from . import orders, selectors
from .models import (
    ZERO,
    Bid,
    BidLine,
    ResourceKind,
    ResourceTask,
    ResourceTaskStatus,
    Tender,
    TenderStatus,
)
from .tenders import CHANGE, close_if_due, effective_factor, is_sealed, tender_by_id, transition

S = TenderStatus
CENT = Decimal("0.01")
HUNDRED = Decimal(100)
TASKS = "procurement.change_resourcetask"


def _round(value: Decimal) -> Decimal:
    return value.quantize(CENT, ROUND_HALF_UP)


def supplier_score(performance: selectors.Performance) -> Decimal:
    on_time = HALF if performance.on_time_rate is None else performance.on_time_rate
    kept = HALF if performance.reject_rate is None else 1 - performance.reject_rate
    return _round(50 * on_time + 50 * kept)


HALF = Decimal("0.5")


@dataclass
class Row:
    """One bid line of a tender line, scored."""

    bid_line: BidLine
    supplier: str
    unit_price: Decimal
    effective_price: Decimal
    quantity: int
    delivery_date: datetime.date
    days: int
    price_score: Decimal = ZERO
    delivery_score: Decimal = ZERO
    supplier_score: Decimal = ZERO
    total: Decimal = ZERO
    rank: int = 0


def _sealed_guard(tender: Tender, now) -> None:
    if is_sealed(tender, now=now):
        raise Conflict(
            _("Bids are sealed until the deadline %(at)s")
            % {"at": timezone.localtime(tender.deadline).strftime("%Y-%m-%d %H:%M")},
            code="sealed",
        )


def ranking(tender: Tender, *, now=None) -> list[tuple]:
    """[(tender line, [Row best first])] — refused while the bids are sealed."""
    _sealed_guard(tender, now)
    bids = list(
        Bid.objects.filter(tender=tender).select_related("supplier").prefetch_related("lines")
    )
    performances = selectors.supplier_performances(
        supplier_ids={b.supplier_id for b in bids}, prices=False
    )
    scores = {sid: supplier_score(p) for sid, p in performances.items()}
    deadline_day = timezone.localdate(tender.deadline)
    by_line: dict[int, list[Row]] = {}
    for bid in bids:
        lines = list(bid.lines.all())
        amount = sum((ln.unit_price * ln.quantity for ln in lines), ZERO)
        factor = effective_factor(amount=amount, resource_value=bid.resource_value)
        for ln in lines:
            by_line.setdefault(ln.tender_line_id, []).append(
                Row(
                    bid_line=ln,
                    supplier=bid.supplier.name,
                    unit_price=ln.unit_price,
                    effective_price=ln.unit_price * factor,
                    quantity=ln.quantity,
                    delivery_date=bid.delivery_date,
                    days=max((bid.delivery_date - deadline_day).days, 1),
                    supplier_score=scores[bid.supplier_id],
                )  # fmt: skip
            )
    weights = (tender.weight_price, tender.weight_delivery, tender.weight_supplier)
    result = []
    for line in tender.lines.select_related("sku__product", "warehouse"):
        rows = by_line.get(line.pk, [])
        if rows:
            cheapest = min(r.effective_price for r in rows)
            soonest = min(r.days for r in rows)
            for r in rows:
                r.price_score = _round(HUNDRED * cheapest / r.effective_price)
                r.delivery_score = _round(HUNDRED * soonest / r.days)
                r.total = _round(
                    (weights[0] * r.price_score + weights[1] * r.delivery_score
                     + weights[2] * r.supplier_score) / HUNDRED
                )  # fmt: skip
                r.effective_price = _round(r.effective_price)
            rows.sort(key=lambda r: (-r.total, r.effective_price, r.days, r.bid_line.bid_id))
            for i, r in enumerate(rows, 1):
                r.rank = i
        result.append((line, rows))
    return result


def follows_ranking(rows: list[Row], awarded: dict[int, int]) -> bool:
    """True when units went down the ranking: no bid got units while a better one got
    fewer than it offered."""
    short = False
    for r in rows:
        units = awarded.get(r.bid_line.pk, 0)
        if short and units:
            return False
        if units < r.quantity:
            short = True
    return True


def _clean_award(ranked, awards) -> dict[int, int]:
    """{bid line id: units} checked against the bids and the tender's quantities."""
    rows = {r.bid_line.pk: (line, r) for line, rs in ranked for r in rs}
    errors: dict[str, list[str]] = {}
    units: dict[int, int] = {}
    for i, award in enumerate(awards or []):
        key = f"awards.{i}"
        bid_line_id = award.get("bid_line_id")
        text = str(award.get("quantity", "")).strip()
        if bid_line_id not in rows:
            errors[key] = [_("Not a bid of this tender")]
        elif not text.lstrip("-").isdigit() or int(text) < 0:
            errors[key] = [_("Enter a whole number of units, 0 or more")]
        elif int(text) > rows[bid_line_id][1].quantity:
            errors[key] = [
                _("More than the %(n)s units this bid offers")
                % {"n": rows[bid_line_id][1].quantity}
            ]
        elif int(text):
            units[bid_line_id] = units.get(bid_line_id, 0) + int(text)
    for line, rs in ranked:
        total = sum(units.get(r.bid_line.pk, 0) for r in rs)
        if total > line.quantity:
            errors[f"line.{line.pk}"] = [
                _("%(sku)s: %(total)s units awarded, the tender asks for %(n)s")
                % {"sku": line.sku.code, "total": total, "n": line.quantity}
            ]
    if not errors and not units:
        errors["awards"] = [_("Award at least one unit")]
    if errors:
        raise ValidationFailed(errors)
    return units


def award_tender(*, actor, tender_id: int, awards, reason: str = "", now=None) -> list:
    """Award units of bid lines ([{bid_line_id, quantity}]); returns the draft purchase
    orders made (one per supplier and warehouse). A refused award changes nothing (the
    tender's closing at its deadline stands)."""
    require_perm(actor, CHANGE)
    require_perm(actor, "procurement.add_purchaseorder")
    close_if_due(tender_by_id(tender_id, lock=False), now=now)
    return _award(actor=actor, tender_id=tender_id, awards=awards, reason=reason, now=now)


@transaction.atomic
def _award(*, actor, tender_id: int, awards, reason: str, now) -> list:
    tender = tender_by_id(tender_id)
    _sealed_guard(tender, now)
    if tender.status != S.CLOSED:
        raise Conflict(
            _("A tender that is %(now)s cannot be awarded") % {"now": tender.get_status_display()},
            code="illegal_transition",
        )
    ranked = ranking(tender, now=now)
    units = _clean_award(ranked, awards)
    reason = str(reason or "").strip()
    if not reason and not all(follows_ranking(rs, units) for _line, rs in ranked):
        raise ValidationFailed(
            {"reason": [_("The award departs from the ranking: give the reason")]}
        )
    groups: dict[tuple[int, int], list] = {}
    for line, rs in ranked:
        for r in rs:
            if units.get(r.bid_line.pk):
                bid = r.bid_line.bid
                groups.setdefault((bid.supplier_id, line.warehouse_id), []).append((line, r))
    made = []
    for (supplier_id, warehouse_id), picks in sorted(groups.items()):
        order = orders.create_purchase_order(
            actor=actor, supplier_id=supplier_id, warehouse_id=warehouse_id,
            promised_date=max(r.delivery_date for _l, r in picks),
            lines=[{"sku_id": line.sku_id, "quantity": units[r.bid_line.pk],
                    "unit_price": r.unit_price} for line, r in picks],
            note=f"招标 {tender.number}",
        )  # fmt: skip
        for _line, r in picks:
            r.bid_line.awarded = units[r.bid_line.pk]
            r.bid_line.purchase_order = order
            r.bid_line.save(update_fields=["awarded", "purchase_order"])
        made.append(order)
    _resource_tasks(tender, {r.bid_line.bid for _l, rs in ranked for r in rs
                             if units.get(r.bid_line.pk)})  # fmt: skip
    tender.award_reason = reason[:300]
    tender.save(update_fields=["award_reason", "updated_at"])
    note = "、".join(o.number for o in made) + (f"；{reason}" if reason else "")
    transition(tender=tender, to=S.AWARDED, actor=actor, note=note)
    return made


def _resource_tasks(tender: Tender, bids) -> None:
    ResourceTask.objects.bulk_create(
        ResourceTask(
            tender=tender,
            bid=bid,
            supplier_id=bid.supplier_id,
            kind=bid.resource_kind,
            days=bid.resource_days,
            value=bid.resource_value,
            terms=bid.resource_note,
        )  # fmt: skip
        for bid in sorted(bids, key=lambda b: b.pk)
        if bid.resource_kind
    )


# --- Resource tasks (website operations) --------------------------------------------------


def _task(task_id) -> ResourceTask:
    task = (
        ResourceTask.objects.select_for_update()
        .filter(pk=task_id)
        .select_related("supplier", "tender")
        .first()
    )
    if task is None:
        raise NotFound(_("Task not found"))
    if task.status != ResourceTaskStatus.OPEN:
        raise Conflict(_("This task is done"), code="done")
    return task


@transaction.atomic
def schedule_home_slot(*, actor, task_id: int, starts_on: datetime.date) -> ResourceTask:
    """Give a home-page resource: a HomeSlot (catalog's merchandising service, which
    checks catalog.manage_merchandising) shown from `starts_on` for the promised days. A
    banner carries the supplier's name; a featured slot the first awarded product."""
    require_perm(actor, TASKS)
    task = _task(task_id)
    if task.kind not in (ResourceKind.HOME_BANNER, ResourceKind.HOME_FEATURED):
        raise ValidationFailed({"kind": [_("Only a home-page resource is scheduled as a slot")]})
    if not isinstance(starts_on, datetime.date):
        raise ValidationFailed({"starts_on": [_("Give the first day")]})
    start = day_start(starts_on)
    fields = {
        "title": task.supplier.name[:80],
        "subtitle": (task.terms or f"招标 {task.tender.number}")[:160],
        "starts_at": start,
        "ends_at": start + datetime.timedelta(days=task.days),
    }
    if task.kind == ResourceKind.HOME_FEATURED:
        line = task.bid.lines.filter(awarded__gt=0).select_related("tender_line__sku").first()
        fields["product_id"] = line.tender_line.sku.product_id
    slot = create_home_slot(
        actor=actor,
        kind="banner" if task.kind == ResourceKind.HOME_BANNER else "featured",
        **fields,
    )
    return _finish(task, actor, slot=slot, note="")


@transaction.atomic
def complete_resource_task(*, actor, task_id: int, note: str) -> ResourceTask:
    """A resource given another way (or by hand): done, with what was done."""
    require_perm(actor, TASKS)
    task = _task(task_id)
    if not str(note or "").strip():
        raise ValidationFailed({"note": [_("Say how the resource was given")]})
    return _finish(task, actor, slot=None, note=note.strip())


def _finish(task: ResourceTask, actor, *, slot, note: str) -> ResourceTask:
    task.status = ResourceTaskStatus.DONE
    task.home_slot = slot
    task.done_by = actor
    task.done_note = note[:200]
    task.save()
    return task
