"""Coupon templates (优惠券模板): what a coupon gives and how it is issued, validated.

Bad input raises ValidationFailed naming the field (a negative amount, a percentage over
100, an end before the start, ...), and nothing is written. A template with a shared code
gets its bearer coupon when created (coupons.py issues and redeems).
"""

from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from mercato.core.errors import ValidationFailed

from .coupons import normalize_code
from .models import Coupon, CouponKind, CouponTemplate, IssuedVia, Scope
from .services import _check_scope_ids, _count, _ids, _money, _percent

TEMPLATE_FIELDS = (
    "name", "kind", "amount", "percent", "cap", "threshold", "scope", "scope_ids",
    "valid_from", "valid_until", "valid_days", "issue_limit", "per_customer_limit",
    "claimable", "claim_code", "shared_code", "shared_limit", "stackable", "active",
    "points_price",
)  # fmt: skip


MAX_LIMIT = 100_000_000


def _limit(value, field: str, errors: dict, *, required: bool) -> int | None:
    """A count of coupons or uses (past _count's small-number range), at least 1."""
    if value is None or value == "":
        if required:
            errors.setdefault(field, []).append(_("Enter a number."))
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = None
    if number is None or not 1 <= number <= MAX_LIMIT:
        errors.setdefault(field, []).append(
            _("Enter a whole number of at least %(min)d.") % {"min": 1}
        )
        return None
    return number


def _code_field(value, field: str, errors: dict) -> str:
    code = normalize_code(value)
    if code and (len(code) < 4 or not code.isalnum()):
        errors[field] = [_("Use 4 to 20 letters and digits.")]
    return code


def clean_template(data: dict, *, instance: CouponTemplate | None = None) -> dict:
    """The template's fields checked and normalised, or ValidationFailed naming each bad
    field (a negative amount, a percentage over 100, an end before the start, ...)."""
    if unknown := set(data) - set(TEMPLATE_FIELDS):
        raise ValidationFailed({name: [_("Unknown field.")] for name in sorted(unknown)})
    base = {name: getattr(instance, name) for name in TEMPLATE_FIELDS} if instance else {}
    values = base | data
    errors: dict[str, list[str]] = {}
    clean: dict = {}
    name = str(values.get("name") or "").strip()
    if not name:
        errors["name"] = [_("Enter the coupon's name, as customers will see it.")]
    elif len(name) > 80:
        errors["name"] = [_("At most 80 characters.")]
    clean["name"] = name
    kind = values.get("kind")
    if kind not in CouponKind.values:
        errors["kind"] = [_("Choose a kind of coupon.")]
    clean["kind"] = kind
    clean["amount"] = clean["percent"] = clean["cap"] = None
    if kind == CouponKind.AMOUNT_OFF:
        clean["amount"] = _money(values.get("amount"), "amount", errors, required=True)
    elif kind == CouponKind.PERCENT_OFF:
        clean["percent"] = _percent(values.get("percent"), errors, required=True)
        clean["cap"] = _money(values.get("cap"), "cap", errors, required=False)
    threshold = values.get("threshold")
    clean["threshold"] = None
    if threshold not in (None, "", 0, "0", "0.00", Decimal(0)):
        clean["threshold"] = _money(threshold, "threshold", errors, required=False)
    if clean["amount"] and clean["threshold"] and clean["amount"] > clean["threshold"]:
        errors["amount"] = [_("The amount off cannot be more than the minimum spend.")]
    scope = values.get("scope") or Scope.ALL
    if scope not in Scope.values:
        errors["scope"] = [_("Choose what the coupon applies to.")]
    clean["scope"] = scope
    clean["scope_ids"] = _ids(values.get("scope_ids"), errors)
    if scope in Scope.values and "scope_ids" not in errors:
        _check_scope_ids(scope, clean["scope_ids"], errors)

    valid_from, valid_until = values.get("valid_from"), values.get("valid_until")
    days = _count(values.get("valid_days"), "valid_days", errors, required=False)
    clean["valid_days"] = days
    if days is not None:
        valid_from = valid_until = None  # N days from issue: dates do not apply
    else:
        if not isinstance(valid_from, datetime):
            errors["valid_from"] = [_("Enter when the coupon becomes valid, or a number of days.")]
        if not isinstance(valid_until, datetime):
            errors["valid_until"] = [_("Enter when the coupon ends, or a number of days.")]
        elif isinstance(valid_from, datetime) and valid_until <= valid_from:
            errors["valid_until"] = [_("The end must be after the start.")]
    clean["valid_from"], clean["valid_until"] = valid_from, valid_until

    clean["issue_limit"] = _limit(values.get("issue_limit"), "issue_limit", errors, required=False)
    if instance is not None and clean["issue_limit"] is not None:
        if clean["issue_limit"] < instance.issued:
            errors["issue_limit"] = [
                _("%(n)d coupons have been issued already.") % {"n": instance.issued}
            ]
    per_customer = values.get("per_customer_limit")
    clean["per_customer_limit"] = _count(
        1 if per_customer in (None, "") else per_customer,
        "per_customer_limit",
        errors,
        required=True,
    )
    for flag, default in (("claimable", False), ("stackable", True), ("active", True)):
        value = values.get(flag)
        clean[flag] = default if value is None else bool(value)
    clean["claim_code"] = _code_field(values.get("claim_code"), "claim_code", errors)
    clean["shared_code"] = _code_field(values.get("shared_code"), "shared_code", errors)
    clean["shared_limit"] = _limit(
        values.get("shared_limit"), "shared_limit", errors, required=bool(clean["shared_code"])
    )
    clean["points_price"] = _limit(
        values.get("points_price"), "points_price", errors, required=False
    )
    if clean["shared_code"] and days is not None:
        errors["valid_days"] = [_("A shared code runs between fixed dates.")]
    if not clean["shared_code"]:
        clean["shared_limit"] = None
    if clean["claim_code"]:
        others = CouponTemplate.objects.filter(claim_code=clean["claim_code"])
        if instance is not None:
            others = others.exclude(pk=instance.pk)
        if others.exists():
            errors["claim_code"] = [_("Another coupon has this claim code.")]
    if clean["shared_code"] and (instance is None or instance.shared_code != clean["shared_code"]):
        if Coupon.objects.filter(code=clean["shared_code"]).exists():
            errors["shared_code"] = [_("This code is taken.")]
    was_shared = instance.shared_code if instance is not None else ""
    if was_shared and clean["shared_code"] != was_shared:
        errors["shared_code"] = [_("A shared code cannot be changed once given out.")]
    if errors:
        raise ValidationFailed(errors)
    return clean


@transaction.atomic
def create_template(**fields) -> CouponTemplate:
    """A new coupon template, validated; a shared code gets its bearer coupon now."""
    clean = clean_template(fields)
    template = CouponTemplate.objects.create(**clean)
    if template.shared_code:
        Coupon.objects.create(
            template=template,
            code=template.shared_code,
            use_limit=template.shared_limit,
            valid_from=template.valid_from,
            valid_until=template.valid_until,
            issued_via=IssuedVia.SHARED,
        )
    return template


@transaction.atomic
def update_template(*, template_id: int, **fields) -> CouponTemplate:
    """Change a template (validated with its other fields). Coupons issued keep the terms
    they were issued with except what the template says at use (kind, amount, scope)."""
    template = CouponTemplate.objects.select_for_update().get(pk=template_id)
    clean = clean_template(fields, instance=template)
    for name, value in clean.items():
        setattr(template, name, value)
    template.save()
    if template.shared_code:
        Coupon.objects.filter(template=template, issued_via=IssuedVia.SHARED).update(
            use_limit=template.shared_limit,
            valid_from=template.valid_from,
            valid_until=template.valid_until,
        )
    return template
