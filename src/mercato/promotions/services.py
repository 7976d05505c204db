"""Writing promotions: create and change them (validated), move their status, and claim
their uses when an order is placed.

Bad input raises ValidationFailed naming the field, and nothing is written.
"""

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

from django.db import connection, transaction
from django.utils.translation import gettext as _

from mercato.core.db import Statement, insert_values_statement, sql_names
from mercato.core.errors import ValidationFailed
from mercato.core.regions import mainland_provinces

from .models import (
    Channel,
    CustomerUse,
    Kind,
    Promotion,
    PromotionEvent,
    Redemption,
    Scope,
    Status,
    Target,
)

FIELDS = (
    "name", "kind", "scope", "scope_ids", "percent", "amount", "tiers", "min_amount",
    "provinces", "nth", "buy_quantity", "get_quantity", "get_sku_id", "starts_at", "ends_at",
    "channel", "target", "tier_code", "usage_limit", "per_customer_limit", "priority",
    "exclusive_group", "stackable",
)  # fmt: skip
HUNDRED = Decimal(100)
MAX_AMOUNT = Decimal("9999999999.99")

# Which status may follow which (every change writes a PromotionEvent).
TRANSITIONS = {
    Status.DRAFT: {Status.ACTIVE, Status.ENDED},
    Status.ACTIVE: {Status.ENDED},
    Status.ENDED: set(),
}


def _money(value, field: str, errors: dict, *, required: bool) -> Decimal | None:
    if value is None or value == "":
        if required:
            errors.setdefault(field, []).append(_("Enter an amount."))
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite() or amount != amount.quantize(Decimal("0.01")):
        errors.setdefault(field, []).append(_("Enter an amount in yuan, to the fen."))
        return None
    if amount <= 0 or amount > MAX_AMOUNT:
        errors.setdefault(field, []).append(_("The amount must be more than zero."))
        return None
    return amount


def _count(value, field: str, errors: dict, *, required: bool, minimum: int = 1) -> int | None:
    if value is None or value == "":
        if required:
            errors.setdefault(field, []).append(_("Enter a number."))
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = None
    if number is None or number < minimum or number > 32767:
        errors.setdefault(field, []).append(
            _("Enter a whole number of at least %(min)d.") % {"min": minimum}
        )
        return None
    return number


def _percent(value, errors: dict, *, required: bool) -> Decimal | None:
    if value is None or value == "":
        if required:
            errors.setdefault("percent", []).append(_("Enter the percentage off."))
        return None
    try:
        percent = Decimal(str(value))
    except InvalidOperation:
        percent = None
    if percent is None or not percent.is_finite() or percent <= 0 or percent > HUNDRED:
        errors.setdefault("percent", []).append(
            _("The percentage off must be more than 0 and at most 100.")
        )
        return None
    if percent != percent.quantize(Decimal("0.01")):
        errors.setdefault("percent", []).append(_("Use at most two decimal places."))
        return None
    return percent


def _tiers(value, errors: dict) -> list[dict]:
    """[{"threshold": "199.00", "amount": "20.00"}, ...]: thresholds ascending, amounts
    positive and below their threshold."""
    if not isinstance(value, list | tuple) or not value:
        errors.setdefault("tiers", []).append(_("Add at least one tier (spend ¥X, save ¥Y)."))
        return []
    clean = []
    for tier in value:
        if isinstance(tier, dict):
            threshold, amount = tier.get("threshold"), tier.get("amount")
        elif isinstance(tier, list | tuple) and len(tier) == 2:
            threshold, amount = tier
        else:
            errors.setdefault("tiers", []).append(_("Each tier is a spend and an amount off."))
            return []
        found: dict = {}
        t = _money(threshold, "tiers", found, required=True)
        a = _money(amount, "tiers", found, required=True)
        if found:
            errors.setdefault("tiers", []).append(
                _("Each tier needs a spend and an amount off, both more than zero.")
            )
            return []
        if a > t:
            errors.setdefault("tiers", []).append(
                _("A tier cannot take off more than its spend (满%(t)s减%(a)s).") % {"t": t, "a": a}
            )
            return []
        clean.append((t, a))
    thresholds = [t for t, _a in clean]
    if any(b <= a for a, b in zip(thresholds, thresholds[1:], strict=False)):
        errors.setdefault("tiers", []).append(_("List the tiers by spend, lowest first."))
        return []
    amounts = [a for _t, a in clean]
    if any(b < a for a, b in zip(amounts, amounts[1:], strict=False)):
        errors.setdefault("tiers", []).append(
            _("A higher spend cannot take off less than a lower one.")
        )
        return []
    return [{"threshold": str(t), "amount": str(a)} for t, a in clean]


def _ids(value, errors: dict) -> list[int]:
    if value in (None, ""):
        return []
    try:
        ids = sorted({int(pk) for pk in value})
    except (TypeError, ValueError):
        errors.setdefault("scope_ids", []).append(_("Choose products, categories or brands."))
        return []
    return ids


def _check_scope_ids(scope: str, ids: list[int], errors: dict) -> None:
    from mercato.catalog.models import Brand, Category, Product

    if scope == Scope.ALL:
        return
    if not ids:
        errors.setdefault("scope_ids", []).append(
            _("Choose the products, categories or brands the promotion applies to.")
        )
        return
    model = {Scope.PRODUCTS: Product, Scope.CATEGORIES: Category, Scope.BRANDS: Brand}[scope]
    found = set(model.objects.filter(pk__in=ids).values_list("pk", flat=True))
    if missing := [pk for pk in ids if pk not in found]:
        errors.setdefault("scope_ids", []).append(
            _("These do not exist: %(ids)s.") % {"ids": ", ".join(map(str, missing))}
        )


def _gift_sku(value, errors: dict) -> int | None:
    """The gift's SKU: required, existing and active."""
    from mercato.catalog.models import Sku

    if value in (None, ""):
        errors["get_sku_id"] = [_("Choose the SKU given as a gift.")]
        return None
    try:
        pk = int(value)
    except (TypeError, ValueError):
        pk = None
    if pk is None or not Sku.objects.filter(pk=pk, is_active=True).exists():
        errors["get_sku_id"] = [_("This SKU does not exist or is not active.")]
        return None
    return pk


def clean_promotion(data: dict, *, instance: Promotion | None = None) -> dict:
    """The promotion's fields checked and normalised, or ValidationFailed naming each bad
    field. `instance`: the promotion being changed (its other fields count too)."""
    base = {name: getattr(instance, name) for name in FIELDS} if instance else {}
    values = base | {k: v for k, v in data.items() if k in FIELDS}
    if unknown := set(data) - set(FIELDS):
        raise ValidationFailed({name: [_("Unknown field.")] for name in sorted(unknown)})
    errors: dict[str, list[str]] = {}
    clean: dict = {}

    name = str(values.get("name") or "").strip()
    if not name:
        errors["name"] = [_("Enter the promotion's name, as customers will see it.")]
    elif len(name) > 80:
        errors["name"] = [_("At most 80 characters.")]
    clean["name"] = name

    kind = values.get("kind")
    if kind not in Kind.values:
        errors["kind"] = [_("Choose a kind of promotion.")]
    clean["kind"] = kind
    scope = values.get("scope") or Scope.ALL
    if scope not in Scope.values:
        errors["scope"] = [_("Choose what the promotion applies to.")]
    clean["scope"] = scope
    clean["scope_ids"] = _ids(values.get("scope_ids"), errors)
    if scope in Scope.values and "scope_ids" not in errors:
        _check_scope_ids(scope, clean["scope_ids"], errors)

    # What each kind needs; the fields other kinds use are cleared.
    for field in ("percent", "amount", "min_amount", "nth", "buy_quantity", "get_quantity"):
        clean[field] = None
    clean["tiers"], clean["provinces"], clean["get_sku_id"] = [], [], None
    if kind == Kind.PERCENT_OFF:
        clean["percent"] = _percent(values.get("percent"), errors, required=True)
    elif kind == Kind.AMOUNT_OFF:
        clean["amount"] = _money(values.get("amount"), "amount", errors, required=True)
    elif kind == Kind.SPEND_SAVE:
        clean["tiers"] = _tiers(values.get("tiers"), errors)
    elif kind == Kind.NTH_ITEM:
        clean["nth"] = _count(values.get("nth"), "nth", errors, required=True, minimum=2)
        clean["percent"] = _percent(values.get("percent"), errors, required=True)
    elif kind == Kind.BUY_X_GET_Y:
        clean["buy_quantity"] = _count(
            values.get("buy_quantity"), "buy_quantity", errors, required=True
        )
        clean["get_quantity"] = _count(
            values.get("get_quantity"), "get_quantity", errors, required=True
        )
        clean["percent"] = _percent(values.get("percent"), errors, required=False)
        clean["get_sku_id"] = values.get("get_sku_id") or None
        if clean["get_sku_id"] is not None:
            from mercato.catalog.models import Sku

            if not Sku.objects.filter(pk=clean["get_sku_id"]).exists():
                errors["get_sku_id"] = [_("This SKU does not exist.")]
    elif kind == Kind.GIFT:
        clean["get_sku_id"] = _gift_sku(values.get("get_sku_id"), errors)
        quantity = values.get("get_quantity")
        clean["get_quantity"] = _count(
            1 if quantity in (None, "") else quantity, "get_quantity", errors, required=True
        )
        clean["min_amount"] = _money(values.get("min_amount"), "min_amount", errors, required=False)
    elif kind == Kind.FREE_SHIPPING:
        clean["min_amount"] = _money(values.get("min_amount"), "min_amount", errors, required=False)
        provinces = sorted(set(values.get("provinces") or ()))
        if unknown := [p for p in provinces if p not in mainland_provinces()]:
            errors["provinces"] = [
                _("Not a mainland province: %(names)s.") % {"names": "、".join(unknown)}
            ]
        clean["provinces"] = provinces

    starts_at, ends_at = values.get("starts_at"), values.get("ends_at")
    if not isinstance(starts_at, datetime):
        errors["starts_at"] = [_("Enter when the promotion starts.")]
    if not isinstance(ends_at, datetime):
        errors["ends_at"] = [_("Enter when the promotion ends.")]
    elif isinstance(starts_at, datetime) and ends_at <= starts_at:
        errors["ends_at"] = [_("The end must be after the start.")]
    clean["starts_at"], clean["ends_at"] = starts_at, ends_at

    channel = values.get("channel") or Channel.ALL
    if channel not in Channel.values:
        errors["channel"] = [_("Choose a channel.")]
    target = values.get("target") or Target.ALL
    if target not in Target.values:
        errors["target"] = [_("Choose which customers get the promotion.")]
    tier_code = str(values.get("tier_code") or "").strip()
    if target == Target.TIER and not tier_code:
        errors["tier_code"] = [_("Enter the member tier the promotion is for.")]
    clean.update(channel=channel, target=target, tier_code=tier_code)

    for field in ("usage_limit", "per_customer_limit"):
        clean[field] = _count(values.get(field), field, errors, required=False)
    if instance is not None and clean["usage_limit"] is not None:
        if clean["usage_limit"] < instance.used:
            errors.setdefault("usage_limit", []).append(
                _("It has been used %(n)d times already.") % {"n": instance.used}
            )
    try:
        clean["priority"] = int(values.get("priority") or 0)
        if not -1000 <= clean["priority"] <= 1000:
            raise ValueError
    except (TypeError, ValueError):
        errors["priority"] = [_("Enter a priority from -1000 to 1000.")]
    clean["exclusive_group"] = str(values.get("exclusive_group") or "").strip()[:40]
    stackable = values.get("stackable")
    clean["stackable"] = True if stackable is None else bool(stackable)

    if errors:
        raise ValidationFailed(errors)
    return clean


def _check_overlap(clean: dict, *, status: str, exclude_pk: int | None) -> None:
    """Two promotions that each apply alone (not stackable), in one stacking group, on a
    channel they share, may not run at the same time: the shop would be promising two
    exclusive offers at once."""
    if clean["stackable"] or not clean["exclusive_group"] or status == Status.ENDED:
        return
    channels = {clean["channel"], Channel.ALL} if clean["channel"] != Channel.ALL else None
    others = Promotion.objects.filter(
        exclusive_group=clean["exclusive_group"],
        stackable=False,
        starts_at__lt=clean["ends_at"],
        ends_at__gt=clean["starts_at"],
    ).exclude(status=Status.ENDED)
    if channels is not None:
        others = others.filter(channel__in=channels)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    clash = others.order_by("starts_at", "pk").first()
    if clash is not None:
        raise ValidationFailed(
            {
                "exclusive_group": [
                    _(
                        "“%(name)s” in the same exclusive group runs at the same time "
                        "(%(start)s – %(end)s); change the dates or the group."
                    )
                    % {
                        "name": clash.name,
                        "start": f"{clash.starts_at:%Y-%m-%d %H:%M}",
                        "end": f"{clash.ends_at:%Y-%m-%d %H:%M}",
                    }
                ]
            }
        )


def _event(promotion: Promotion, *, from_status: str, actor, note: str = "") -> None:
    PromotionEvent.objects.create(
        promotion=promotion,
        from_status=from_status,
        to_status=promotion.status,
        actor=actor,
        note=note,
    )


@transaction.atomic
def create_promotion(*, actor=None, status: str = Status.DRAFT, **fields) -> Promotion:
    """A new promotion (a draft unless `status` says active), validated."""
    if status not in (Status.DRAFT, Status.ACTIVE):
        raise ValidationFailed({"status": [_("A new promotion is a draft or active.")]})
    clean = clean_promotion(fields)
    _check_overlap(clean, status=status, exclude_pk=None)
    promotion = Promotion.objects.create(status=status, **clean)
    _event(promotion, from_status="", actor=actor, note=_("Promotion created"))
    return promotion


@transaction.atomic
def update_promotion(*, promotion_id: int, actor=None, **fields) -> Promotion:
    """Change a promotion's fields (validated with the ones not given); an ended promotion
    stays as it ran."""
    promotion = Promotion.objects.select_for_update().get(pk=promotion_id)
    if promotion.status == Status.ENDED:
        raise ValidationFailed({"status": [_("An ended promotion cannot be changed.")]})
    clean = clean_promotion(fields, instance=promotion)
    _check_overlap(clean, status=promotion.status, exclude_pk=promotion.pk)
    for name, value in clean.items():
        setattr(promotion, name, value)
    promotion.save()
    return promotion


@transaction.atomic
def change_status(*, promotion_id: int, to_status: str, actor=None, note: str = "") -> Promotion:
    """Move a promotion along TRANSITIONS (draft → active → ended), with an event row."""
    promotion = Promotion.objects.select_for_update().get(pk=promotion_id)
    if to_status not in TRANSITIONS.get(promotion.status, set()):
        raise ValidationFailed(
            {
                "status": [
                    _("A promotion cannot go from %(from)s to %(to)s.")
                    % {
                        "from": Status(promotion.status).label,
                        "to": Status(to_status).label if to_status in Status.values else to_status,
                    }
                ]
            }
        )
    if to_status == Status.ACTIVE:
        _check_overlap(
            clean_promotion({}, instance=promotion), status=to_status, exclude_pk=promotion.pk
        )
    from_status = promotion.status
    promotion.status = to_status
    promotion.save(update_fields=["status", "updated_at"])
    _event(promotion, from_status=from_status, actor=actor, note=note)
    return promotion


# Uses at placement --------------------------------------------------------------------------


class UsedUp(Exception):
    """A promotion applied to this order had no use left: the placement's transaction rolls
    back whole and places again without it (checkout.placement.place_order).
    `promotion_ids`: those known to have none left, to leave out; the other promotions'
    uses are read anew."""

    def __init__(self, promotion_ids=()):
        super().__init__(sorted(promotion_ids))
        self.promotion_ids = frozenset(promotion_ids)


def _claim_total(promotion_id: int) -> bool:
    """One use of a promotion's usage limit, if it has one left: a conditional UPDATE."""
    table, pk, used, limit, status = sql_names(Promotion, "id", "used", "usage_limit", "status")
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {used} = {used} + 1 WHERE {pk} = %s AND {status} = %s"  # noqa: S608
            f" AND ({limit} IS NULL OR {used} < {limit})",
            [promotion_id, Status.ACTIVE.value],
        )
        return cursor.rowcount == 1


def _limited(applied, offers, *, limit: str) -> list:
    """The offers of `applied` (engine.AppliedOffer) whose `limit` is set, in promotion
    order: the order their rows are locked in, so two placements never wait on each other
    in a circle."""
    offers_by_id = {o.id: o for o in offers}
    chosen = (offers_by_id[pk] for pk in sorted({item.id for item in applied}))
    return [offer for offer in chosen if getattr(offer, limit) is not None]


def claim_uses(*, applied, offers) -> None:
    """Count one use of each applied promotion (engine.AppliedOffer) with a usage limit,
    within the caller's transaction: a conditional UPDATE each (... WHERE used <
    usage_limit), so no limit is passed whatever the concurrency. Promotions without a
    limit are not counted: their row would become a lock every placement waits on
    (Redemption rows record every use); uses per customer are claimed with the order
    (customer_claims). Raises UsedUp naming the promotions that had no use left, and the
    caller's transaction must then roll back whole (no use is given back here: no
    savepoint on placement's hot path)."""
    limited = _limited(applied, offers, limit="usage_limit")
    if short := {offer.id for offer in limited if not _claim_total(offer.id)}:
        raise UsedUp(short)


class CustomerClaims(NamedTuple):
    """The statement claiming one use per customer of each of `promotion_ids`, for the
    caller to send last in its own round trip (core.db.execute_together returns its row
    count), and `check`ed with that count."""

    statement: Statement
    promotion_ids: frozenset[int]

    def check(self, rowcount: int) -> None:
        """UsedUp when a use was not claimed: the customer had none left, an order of theirs
        having taken it since their uses were read. The caller's transaction must roll back
        whole (the other uses were claimed, the order written). Which promotion it was the
        count does not say: placing again reads the customer's uses anew, and uses only
        grow, so the spent one is left out."""
        if rowcount != len(self.promotion_ids):
            raise UsedUp()


def customer_claims(*, applied, offers, customer_id: int | None) -> CustomerClaims | None:
    """One use of each applied promotion (engine.AppliedOffer) limited per customer, all in
    one statement: the customer's CustomerUse row made at their first use, or counted up
    while under the limit (INSERT … ON CONFLICT DO UPDATE … WHERE used < limit; a row
    another transaction is writing is waited for and judged as it committed), so no limit
    is passed whatever the concurrency. Its row count is the uses claimed
    (CustomerClaims.check). None when no such promotion applied (a guest is never given
    one: engine.is_eligible)."""
    if customer_id is None:
        return None
    limited = _limited(applied, offers, limit="per_customer_limit")
    if not limited:
        return None
    ids = frozenset(o.id for o in limited)
    if spent := {o.id for o in limited if o.per_customer_limit < 1}:
        raise UsedUp(spent)  # no use to claim (the engine never applies such a promotion)
    table, promotion, customer, used = sql_names(CustomerUse, "promotion", "customer", "used")
    rows = ", ".join(["(%s, %s, 1)"] * len(limited))
    limits = " ".join(["WHEN %s THEN %s"] * len(limited))
    sql = (
        f"INSERT INTO {table} ({promotion}, {customer}, {used}) VALUES {rows}"  # noqa: S608
        f" ON CONFLICT ({promotion}, {customer}) DO UPDATE SET {used} = {table}.{used} + 1"
        f" WHERE {table}.{used} < CASE {table}.{promotion} {limits} END"
    )
    params = [value for o in limited for value in (o.id, customer_id)]
    params += [value for o in limited for value in (o.id, o.per_customer_limit)]
    return CustomerClaims(Statement(sql, params, __name__), ids)


def redemptions_statement(
    *, applied, customer_id: int | None, order_number: str
) -> Statement | None:
    """The INSERT of a Redemption row per applied promotion (engine.AppliedOffer), for the
    caller to run in its own round trip
    (core.db.execute_together: placement sends it with the order's rows); None when no
    promotion applied."""
    if not applied:
        return None
    sql, params = insert_values_statement(
        Redemption, _redemptions(applied, customer_id, order_number)
    )
    return Statement(sql, params, __name__)


def _redemptions(applied, customer_id: int | None, order_number: str) -> list[dict]:
    """The Redemption rows' values ({attname: value}): written from the values, no
    instance made (core.db.insert_values_statement)."""
    return [
        {
            "promotion_id": item.id,
            "order_number": order_number,
            "customer_id": customer_id,
            "discount": item.discount,
            "shipping_off": item.shipping_off,
        }
        for item in applied
    ]
