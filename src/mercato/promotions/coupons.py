"""Coupons (优惠券): issuing, checking a code for a cart, redeeming at placement and
returning a use when an unpaid order is cancelled (templates: coupon_templates.py).

- Issuing (claim on the page, claim code, bulk to a segment, reward) locks the template row,
  so neither the template's issue limit nor the per-customer limit is passed by two claims
  at once.
- Redemption is a conditional UPDATE (… WHERE used < use_limit AND status = 'available')
  inside the placement's transaction, so a coupon is never used beyond its limit whatever
  the concurrency; a bearer (shared) code is used once per customer (a partial unique
  index on CouponUse).
- CouponError says why a code cannot be used, with a stable `code` (see refusal()).
"""

import secrets
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Case, Count, F, Value, When
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from mercato.core.errors import DomainError, NotFound

from . import coupon_pricing as cp
from .models import (
    Coupon,
    CouponStatus,
    CouponTemplate,
    CouponUse,
    IssuedVia,
    IssueJob,
    Scope,
)
from .selectors import _paths_of

# Unguessable codes: 12 characters from 32 (no 0/O, 1/I), 60 random bits each.
ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 12
BULK_BATCH = 500

# Why a code cannot be used (CouponError.code).
NOT_FOUND = "not_found"
LOGIN = "login_required"
NOT_YOURS = "not_yours"
VOID = "void"
USED_UP = "used_up"
ALREADY_USED = "already_used"
EXPIRED = "expired"
NOT_YET_VALID = "not_yet_valid"
OUT_OF_SCOPE = cp.OUT_OF_SCOPE
BELOW_THRESHOLD = cp.BELOW_THRESHOLD
NO_SAVING = cp.NO_SAVING


class CouponError(DomainError):
    """A coupon that cannot be used or claimed; `code` says why, `message` tells the
    customer. Always on the field "coupon"."""

    status = 409

    def __init__(self, message: str, *, code: str):
        super().__init__(message, field="coupon", code=code)


def _day(moment: datetime) -> str:
    return date_format(timezone.localtime(moment), "SHORT_DATE_FORMAT")


def refusal(reason: str, *, coupon: Coupon | None = None, refused=None) -> CouponError:
    """The CouponError for `reason`, in the customer's words."""
    if reason == NOT_FOUND:
        message = _("There is no coupon with this code; check it and try again.")
    elif reason == LOGIN:
        message = _("Log in to use a coupon.")
    elif reason == NOT_YOURS:
        message = _("This coupon belongs to another customer's account.")
    elif reason == VOID:
        message = _("This coupon has been cancelled by the shop.")
    elif reason == USED_UP:
        message = _("This coupon has been used up.")
    elif reason == ALREADY_USED:
        message = _("You have already used this code.")
    elif reason == EXPIRED:
        message = _("This coupon expired on %(date)s.") % {"date": _day(coupon.valid_until)}
    elif reason == NOT_YET_VALID:
        message = _("This coupon can be used from %(date)s.") % {"date": _day(coupon.valid_from)}
    elif reason == OUT_OF_SCOPE:
        message = _("This coupon does not cover any of the items you are buying.")
    elif reason == BELOW_THRESHOLD:
        message = _(
            "This coupon needs a spend of ¥%(threshold)s on the items it covers: "
            "add ¥%(missing)s more."
        ) % {"threshold": refused.threshold, "missing": refused.missing}
    else:
        message = _("Shipping is already free for this order; this coupon saves nothing.")
    return CouponError(message, code=reason)


def normalize_code(code) -> str:
    return "".join(str(code or "").split()).upper()[:20]


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _i in range(CODE_LENGTH))


# Issuing -----------------------------------------------------------------------------------


def _validity(template: CouponTemplate, now: datetime) -> tuple[datetime, datetime]:
    if template.valid_days:
        return now, now + timedelta(days=template.valid_days)
    return template.valid_from, template.valid_until


def _refuse_issue(template: CouponTemplate, now: datetime) -> None:
    if not template.active or template.shared_code:
        raise CouponError(_("This coupon is not being given out."), code="not_issuing")
    if template.valid_until is not None and now >= template.valid_until:
        raise CouponError(_("This coupon has ended."), code=EXPIRED)
    if template.issue_limit is not None and template.issued >= template.issue_limit:
        raise CouponError(_("All of these coupons have been claimed."), code="all_claimed")


@transaction.atomic
def issue_coupon(*, template_id: int, customer_id: int, via: str, note: str = "") -> Coupon:
    """One coupon of the template for the customer, within the template's issue limit and
    per-customer limit (the template row is locked, so two claims at once cannot both
    take the last one). CouponError says why not."""
    now = timezone.now()
    template = CouponTemplate.objects.select_for_update().filter(pk=template_id).first()
    if template is None:
        raise NotFound(_("No such coupon."), field="coupon")
    if via == IssuedVia.CLAIM and not template.claimable:
        raise CouponError(_("This coupon is not being given out."), code="not_issuing")
    _refuse_issue(template, now)
    held = Coupon.objects.filter(template=template, customer_id=customer_id).count()
    if held >= template.per_customer_limit:
        raise CouponError(_("You already have this coupon."), code="limit_reached")
    valid_from, valid_until = _validity(template, now)
    coupon = Coupon.objects.create(
        template=template,
        customer_id=customer_id,
        code=new_code(),
        valid_from=valid_from,
        valid_until=valid_until,
        issued_via=via,
        note=note[:120],
    )
    CouponTemplate.objects.filter(pk=template.pk).update(issued=F("issued") + 1)
    return coupon


def claim_coupon(*, customer, template_id: int) -> Coupon:
    """A signed-in customer claims a coupon on the coupon page (领券中心)."""
    if customer is None:
        raise refusal(LOGIN)
    return issue_coupon(template_id=template_id, customer_id=customer.pk, via=IssuedVia.CLAIM)


def claim_by_code(*, customer, code: str) -> Coupon:
    """A customer enters a template's claim code (a 口令 from an ad or a message)."""
    if customer is None:
        raise refusal(LOGIN)
    code = normalize_code(code)
    template = CouponTemplate.objects.filter(claim_code=code).first() if code else None
    if template is None:
        raise refusal(NOT_FOUND)
    return issue_coupon(template_id=template.pk, customer_id=customer.pk, via=IssuedVia.CODE)


def issue_reward(*, customer_id: int, template_id: int, note: str = "") -> Coupon:
    """A coupon given as a reward (a review, a birthday, an apology from customer service):
    other apps call this. The template's limits hold; CouponError when reached."""
    return issue_coupon(
        template_id=template_id, customer_id=customer_id, via=IssuedVia.REWARD, note=note
    )


# Bulk issue to a segment -------------------------------------------------------------------


def segment_customers(segment: dict):
    """Customer ids of a segment: sign-up channel and registration dates (all optional)."""
    from mercato.customers.models import Customer

    rows = Customer.objects.all()
    if segment.get("channel"):
        rows = rows.filter(channel=segment["channel"])
    if segment.get("registered_from"):
        rows = rows.filter(registered_at__date__gte=segment["registered_from"])
    if segment.get("registered_to"):
        rows = rows.filter(registered_at__date__lte=segment["registered_to"])
    return rows.order_by("pk").values_list("pk", flat=True)


def start_bulk_issue(*, actor, template_id: int, segment: dict) -> IssueJob:
    """Queue issuing the template's coupons to every customer of `segment` (one each, up
    to the limits); the job's page shows its progress."""
    from .tasks import issue_coupons_task

    template = CouponTemplate.objects.filter(pk=template_id).first()
    if template is None:
        raise NotFound(_("No such coupon."), field="template")
    _refuse_issue(template, timezone.now())
    clean = {k: str(v) for k, v in segment.items() if k in SEGMENT_KEYS and v}
    with transaction.atomic():
        job = IssueJob.objects.create(
            template=template,
            segment=clean,
            total=segment_customers(clean).count(),
            created_by=actor,
        )
        transaction.on_commit(lambda: issue_coupons_task.delay(job.pk))
    return job


SEGMENT_KEYS = ("channel", "registered_from", "registered_to")


def _issue_batch(job: IssueJob, customer_ids: list[int], now: datetime) -> tuple[int, int]:
    """Coupons for those of `customer_ids` below the per-customer limit, within the issue
    limit: (issued, skipped). One transaction, the template row locked."""
    with transaction.atomic():
        template = CouponTemplate.objects.select_for_update().get(pk=job.template_id)
        held = dict(
            Coupon.objects.filter(template=template, customer_id__in=customer_ids)
            .values_list("customer_id")
            .annotate(n=Count("id"))
        )
        wanted = [pk for pk in customer_ids if held.get(pk, 0) < template.per_customer_limit]
        if template.issue_limit is not None:
            wanted = wanted[: max(template.issue_limit - template.issued, 0)]
        valid_from, valid_until = _validity(template, now)
        Coupon.objects.bulk_create(
            Coupon(
                template=template,
                customer_id=pk,
                code=new_code(),
                valid_from=valid_from,
                valid_until=valid_until,
                issued_via=IssuedVia.BULK,
                note=f"job {job.pk}",
            )
            for pk in wanted
        )
        CouponTemplate.objects.filter(pk=template.pk).update(issued=F("issued") + len(wanted))
    return len(wanted), len(customer_ids) - len(wanted)


def run_issue_job(*, job_id: int) -> IssueJob:
    """Issue the job's coupons in batches, saving its progress after each one."""
    job = IssueJob.objects.get(pk=job_id)
    if job.status not in (IssueJob.Status.QUEUED, IssueJob.Status.RUNNING):
        return job
    IssueJob.objects.filter(pk=job.pk).update(status=IssueJob.Status.RUNNING)
    now = timezone.now()
    ids = list(segment_customers(job.segment))
    job.total, job.done, job.issued, job.skipped = len(ids), 0, 0, 0
    try:
        for start in range(0, len(ids), BULK_BATCH):
            batch = ids[start : start + BULK_BATCH]
            for _attempt in range(3):  # a code drawn twice (1 in 2**60): draw again
                try:
                    issued, skipped = _issue_batch(job, batch, now)
                    break
                except IntegrityError:
                    continue
            else:
                raise IntegrityError("codes")
            job.done += len(batch)
            job.issued += issued
            job.skipped += skipped
            IssueJob.objects.filter(pk=job.pk).update(
                total=job.total, done=job.done, issued=job.issued, skipped=job.skipped
            )
        job.status = IssueJob.Status.DONE
    except Exception as exc:
        job.status, job.error = IssueJob.Status.FAILED, str(exc)[:200]
        raise
    finally:
        job.finished_at = timezone.now()
        IssueJob.objects.filter(pk=job.pk).update(
            status=job.status, error=job.error, finished_at=job.finished_at
        )
    return job


# Using a coupon ----------------------------------------------------------------------------


def find_coupon(*, code: str, customer_id: int | None, now: datetime | None = None) -> Coupon:
    """The coupon `code` names if this customer may use it now, else CouponError saying
    why (not found, not theirs, cancelled, used up, expired, not yet valid)."""
    now = now or timezone.now()
    code = normalize_code(code)
    if customer_id is None:
        raise refusal(LOGIN)
    coupon = Coupon.objects.select_related("template").filter(code=code).first() if code else None
    if coupon is None:
        raise refusal(NOT_FOUND)
    if coupon.customer_id is not None and coupon.customer_id != customer_id:
        raise refusal(NOT_YOURS)
    if coupon.status == CouponStatus.VOID:
        raise refusal(VOID)
    if coupon.used >= coupon.use_limit:
        raise refusal(USED_UP)
    if now < coupon.valid_from:
        raise refusal(NOT_YET_VALID, coupon=coupon)
    if now >= coupon.valid_until:
        raise refusal(EXPIRED, coupon=coupon)
    if coupon.customer_id is None and (
        CouponUse.objects.filter(
            coupon=coupon, customer_id=customer_id, returned_at__isnull=True
        ).exists()
    ):
        raise refusal(ALREADY_USED)
    return coupon


def terms_of(coupon: Coupon) -> cp.CouponTerms:
    """Pricing's view of a coupon (its template's terms): one query more for a coupon
    scoped by category (the categories' tree paths)."""
    template = coupon.template
    ids = frozenset(int(pk) for pk in template.scope_ids or ())
    paths: tuple[str, ...] = ()
    if template.scope == Scope.CATEGORIES and ids:
        paths = tuple(sorted(p for p in _paths_of(ids).values() if p))
    return cp.CouponTerms(
        coupon_id=coupon.pk,
        code=coupon.code,
        name=template.name,
        kind=template.kind,
        amount=template.amount,
        percent=template.percent,
        cap=template.cap,
        threshold=template.threshold,
        scope=template.scope,
        scope_ids=ids,
        category_paths=paths,
        stackable=template.stackable,
    )


def redeem_coupon(
    *, coupon_id: int, customer_id: int, order_number: str, applied: cp.CouponApplied
) -> CouponUse:
    """Use the coupon for the order, in the caller's (placement's) transaction: one
    conditional UPDATE, so a coupon is never used beyond its limit; CouponError (used up,
    already used by this customer) when the use is not there any more."""
    now = timezone.now()
    rows = Coupon.objects.filter(
        pk=coupon_id,
        status=CouponStatus.AVAILABLE,
        used__lt=F("use_limit"),
        valid_from__lte=now,
        valid_until__gt=now,
    )
    last = When(used__gte=F("use_limit") - 1, then=Value(CouponStatus.USED))
    if not rows.update(
        used=F("used") + 1, status=Case(last, default=Value(CouponStatus.AVAILABLE))
    ):
        raise refusal(USED_UP)
    try:
        with transaction.atomic():
            return CouponUse.objects.create(
                coupon_id=coupon_id,
                customer_id=customer_id,
                order_number=order_number,
                discount=applied.discount,
                shipping_off=applied.shipping_off,
            )
    except IntegrityError:
        raise refusal(ALREADY_USED) from None


def return_coupons(*, order_numbers) -> int:
    """Give back the coupon uses of these orders (cancelled before they were paid), in
    the caller's transaction; a use given back before is left alone. How many."""
    uses = list(
        CouponUse.objects.select_for_update()
        .filter(order_number__in=list(order_numbers), returned_at__isnull=True)
        .values_list("pk", "coupon_id")
    )
    if not uses:
        return 0
    CouponUse.objects.filter(pk__in=[pk for pk, _c in uses]).update(returned_at=timezone.now())
    for coupon_id in sorted({c for _pk, c in uses}):
        n = sum(1 for _pk, c in uses if c == coupon_id)
        Coupon.objects.filter(pk=coupon_id).update(
            used=F("used") - n,
            status=Case(
                When(status=CouponStatus.VOID, then=Value(CouponStatus.VOID)),
                default=Value(CouponStatus.AVAILABLE),
            ),
        )
    return len(uses)


@transaction.atomic
def void_coupon(*, coupon_id: int) -> Coupon:
    """Cancel an issued coupon (staff): it can no longer be used."""
    coupon = Coupon.objects.select_for_update().filter(pk=coupon_id).first()
    if coupon is None:
        raise NotFound(_("No such coupon."), field="coupon")
    coupon.status = CouponStatus.VOID
    coupon.save(update_fields=["status"])
    return coupon
