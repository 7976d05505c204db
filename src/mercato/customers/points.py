"""Member points (积分): a ledger of PointsEntry rows; the balance is their sum, always.

Rules (docs/accounts.md, "Points"):
- Earned points form a lot that expires at the end of the year after the one it was earned
  in (earned in 2026: expire 2027-12-31 23:59:59 Shanghai time). Spending takes the lots
  that expire first (FIFO); the nightly task expires what is left of due lots and sends a
  notice 30 days before.
- Every change locks the customer row, writes its entry and moves `points_balance` in the
  same transaction, so the balance and the ledger sum never differ and two orders cannot
  spend the same points.
- A refund reverses the points earned on the order in proportion to what was refunded.
  When they were already spent the balance goes below zero; it is kept and the next points
  earned pay it off first (no error, no lot for that part).
"""

import math
from datetime import date, datetime, time, timedelta
from decimal import ROUND_DOWN, Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from mercato.core.errors import DomainError

from .models import Customer, PointsEntry, PointsKind
from .tiers import tier_named

K = PointsKind
DEFAULT_SIGNIN_POINTS = (1, 2, 3, 4, 5, 6, 10)  # by day of the streak; day 7 on: the last


# Settings ---------------------------------------------------------------------------------


def points_per_yuan() -> int:
    """Points worth ¥1 at checkout (MERCATO_POINTS_PER_YUAN, default 100)."""
    return int(getattr(settings, "MERCATO_POINTS_PER_YUAN", 100))


def redeem_cap_percent() -> int:
    """Most of the payable goods amount points may pay, in percent (default 50)."""
    return int(getattr(settings, "MERCATO_POINTS_CAP_PERCENT", 50))


def earn_per_yuan() -> Decimal:
    """Points earned per ¥1 paid, before the tier multiplier (default 1)."""
    return Decimal(str(getattr(settings, "MERCATO_POINTS_EARN_PER_YUAN", 1)))


def review_points() -> int:
    return int(getattr(settings, "MERCATO_POINTS_REVIEW", 20))


def birthday_points() -> int:
    return int(getattr(settings, "MERCATO_POINTS_BIRTHDAY", 200))


def signin_points(streak: int) -> int:
    table = tuple(getattr(settings, "MERCATO_POINTS_SIGNIN", DEFAULT_SIGNIN_POINTS))
    return int(table[min(streak, len(table)) - 1])


def expiry_notice_days() -> int:
    return int(getattr(settings, "MERCATO_POINTS_NOTICE_DAYS", 30))


def expiry_for(earned_at: datetime) -> datetime:
    """The end of the year after the one `earned_at` falls in, local time."""
    year = timezone.localtime(earned_at).year + 1
    end = datetime.combine(date(year, 12, 31), time(23, 59, 59))
    return timezone.make_aware(end)


def money_for(points: int) -> Decimal:
    """What `points` take off at checkout, to the fen."""
    return (Decimal(points) / points_per_yuan()).quantize(Decimal("0.01"), rounding=ROUND_DOWN)


def usable_points(*, balance: int, payable: Decimal) -> int:
    """Most points usable on `payable` goods: the cap, the balance, whole fen."""
    cap = Decimal(payable) * redeem_cap_percent() / 100
    most = int((cap * points_per_yuan()).to_integral_value(rounding=ROUND_DOWN))
    fen = points_per_yuan() / 100  # points that make one fen; round down to whole fen
    most = int(math.floor(most / fen) * fen) if fen >= 1 else most
    return max(0, min(balance, most))


# Reads ------------------------------------------------------------------------------------


def ledger_sum(customer_id: int) -> int:
    total = PointsEntry.objects.filter(customer_id=customer_id).aggregate(s=Sum("amount"))["s"]
    return total or 0


def expiring_soon(customer_id: int, *, now=None, days: int | None = None) -> list[PointsEntry]:
    """Lots with points left that expire within `days` (default: the notice period)."""
    now = now or timezone.now()
    limit = now + timedelta(days=expiry_notice_days() if days is None else days)
    return list(
        PointsEntry.objects.filter(
            customer_id=customer_id, remaining__gt=0, expires_at__gt=now, expires_at__lte=limit
        ).order_by("expires_at", "id")
    )


# Writing ----------------------------------------------------------------------------------


def _locked(customer_id: int) -> Customer:
    return Customer.objects.select_for_update().get(pk=customer_id)


def _entry(customer: Customer, *, kind: str, amount: int, now, **fields) -> PointsEntry:
    entry = PointsEntry.objects.create(
        customer=customer, kind=kind, amount=amount, created_at=now, **fields
    )
    customer.points_balance += amount
    customer.save(update_fields=["points_balance", "updated_at"])
    return entry


def _earn(customer: Customer, *, kind: str, points: int, now, **fields) -> PointsEntry | None:
    """A new lot; a negative balance is paid off first (that part makes no lot)."""
    if points <= 0:
        return None
    debt = max(-customer.points_balance, 0)
    return _entry(
        customer,
        kind=kind,
        amount=points,
        now=now,
        expires_at=expiry_for(now),
        remaining=points - min(debt, points),
        **fields,
    )


def _consume(customer: Customer, points: int, *, now) -> tuple[list[list[int]], int]:
    """Take `points` from the lots expiring first; ([lot id, taken], taken in all)."""
    taken, consumed = 0, []
    lots = PointsEntry.objects.filter(
        customer=customer, remaining__gt=0, expires_at__gt=now
    ).order_by("expires_at", "id")
    for lot in lots:
        if taken >= points:
            break
        take = min(lot.remaining, points - taken)
        lot.remaining -= take
        lot.save(update_fields=["remaining"])
        consumed.append([lot.pk, take])
        taken += take
    return consumed, taken


@transaction.atomic
def earn_for_order(*, customer_id: int, order_number: str, paid: Decimal, now=None) -> int:
    """Points for an order paid `paid` (goods and shipping, after discounts), times the
    customer's tier multiplier, rounded down; once per order. Returns the points given."""
    now = now or timezone.now()
    customer = _locked(customer_id)
    if PointsEntry.objects.filter(
        customer=customer, kind=K.EARN_ORDER, order_number=order_number
    ).exists():
        return 0
    multiplier = tier_named(customer.tier).multiplier
    points = int((Decimal(paid) * earn_per_yuan() * multiplier).to_integral_value(ROUND_DOWN))
    _earn(customer, kind=K.EARN_ORDER, points=points, now=now, order_number=order_number)
    return max(points, 0)


@transaction.atomic
def earn_for_review(*, customer_id: int, review_id: int, now=None) -> int:
    """Points for a published review, once per review."""
    now = now or timezone.now()
    customer = _locked(customer_id)
    note = f"review:{review_id}"
    if PointsEntry.objects.filter(customer=customer, kind=K.EARN_REVIEW, note=note).exists():
        return 0
    _earn(customer, kind=K.EARN_REVIEW, points=review_points(), now=now, note=note)
    return review_points()


@transaction.atomic
def sign_in(*, customer_id: int, now=None) -> int:
    """Today's sign-in (签到): points by the streak's day; DomainError when done today.
    Also gives the birthday points on the birthday (once a year)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    customer = _locked(customer_id)
    if customer.last_signin_on == today:
        raise DomainError(_("You have already signed in today."), field="signin")
    yesterday = today - timedelta(days=1)
    customer.signin_streak = (
        customer.signin_streak + 1 if customer.last_signin_on == yesterday else 1
    )
    customer.last_signin_on = today
    customer.save(update_fields=["signin_streak", "last_signin_on", "updated_at"])
    points = signin_points(customer.signin_streak)
    _earn(customer, kind=K.EARN_SIGNIN, points=points, now=now, note=str(today))
    _birthday(customer, now=now)
    return points


def _birthday(customer: Customer, *, now) -> int:
    today = timezone.localdate(now)
    birthday = customer.birthday
    if birthday is None or (birthday.month, birthday.day) != (today.month, today.day):
        return 0
    note = str(today.year)
    if PointsEntry.objects.filter(customer=customer, kind=K.EARN_BIRTHDAY, note=note).exists():
        return 0
    _earn(customer, kind=K.EARN_BIRTHDAY, points=birthday_points(), now=now, note=note)
    return birthday_points()


@transaction.atomic
def give_birthday_points(*, customer_id: int, now=None) -> int:
    """The birthday points if today is the birthday and they were not given this year."""
    return _birthday(_locked(customer_id), now=now or timezone.now())


def birthday_customer_ids(*, now=None) -> list[int]:
    today = timezone.localdate(now or timezone.now())
    return list(
        Customer.objects.filter(birthday__month=today.month, birthday__day=today.day).values_list(
            "pk", flat=True
        )
    )


@transaction.atomic
def spend(
    *,
    customer_id: int,
    points: int,
    kind: str = K.REDEEM,
    order_number: str = "",
    note: str = "",
    now=None,
) -> PointsEntry:
    """Spend `points` (checkout, a coupon); DomainError when the balance is short. The
    customer row is locked first, so two orders cannot spend the same points."""
    now = now or timezone.now()
    if points <= 0:
        raise DomainError(_("Enter a number of points above zero."), field="points")
    customer = _locked(customer_id)
    _expire_locked(customer, now=now)  # points past their date are not spent
    if customer.points_balance < points:
        raise DomainError(
            _("You have %(balance)s points; %(points)s cannot be used.")
            % {"balance": max(customer.points_balance, 0), "points": points},
            field="points",
        )
    consumed, _taken = _consume(customer, points, now=now)
    return _entry(
        customer,
        kind=kind,
        amount=-points,
        now=now,
        order_number=order_number,
        note=note,
        consumed=consumed,
    )


def return_for_orders(*, order_numbers: list[str], now=None) -> int:
    """Points spent on unpaid orders that were cancelled or expired go back to the lots
    they came from (a lot past its date expires at the next nightly run). Once per order."""
    now = now or timezone.now()
    given = 0
    spends = PointsEntry.objects.filter(order_number__in=order_numbers, kind=K.REDEEM)
    for entry in spends.order_by("customer_id", "id"):
        with transaction.atomic():
            customer = _locked(entry.customer_id)
            if PointsEntry.objects.filter(
                customer=customer, kind=K.RETURN, order_number=entry.order_number
            ).exists():
                continue
            debt = max(-customer.points_balance, 0)  # paid off first, as with earnings
            for lot_id, take in entry.consumed:
                paid_off = min(debt, take)
                debt -= paid_off
                lot = PointsEntry.objects.select_for_update().get(pk=lot_id)
                lot.remaining += take - paid_off
                lot.save(update_fields=["remaining"])
            _expire_locked(customer, now=now)  # a lot put back past its date expires now
            _entry(
                customer,
                kind=K.RETURN,
                amount=-entry.amount,
                now=now,
                order_number=entry.order_number,
            )
            given += -entry.amount
    return given


@transaction.atomic
def reverse_for_refund(
    *, customer_id: int, order_number: str, refunded: Decimal, paid: Decimal, now=None
) -> int:
    """After a refund: `refunded` is all that has been refunded on the order so far, of
    `paid`. The points earned on it are reversed in that proportion (what is left unspent
    first; the rest makes the balance negative), and the points spent on it are given back
    in the same proportion as a new lot. Returns the net change (negative: taken)."""
    now = now or timezone.now()
    customer = _locked(customer_id)
    _expire_locked(customer, now=now)
    rows = PointsEntry.objects.filter(customer=customer, order_number=order_number)
    sums = {k: 0 for k in (K.EARN_ORDER, K.REVERSE, K.REDEEM, K.RETURN)}
    for kind, amount in rows.values_list("kind", "amount"):
        if kind in sums:
            sums[kind] += amount
    share = min(Decimal(refunded) / Decimal(paid), Decimal(1)) if paid else Decimal(1)
    change = 0
    # Points earned: reversed in proportion, never more than was earned.
    owed = int((sums[K.EARN_ORDER] * share).to_integral_value(ROUND_DOWN))
    reverse = owed + sums[K.REVERSE]  # REVERSE amounts are negative
    if reverse > 0:
        _consume(customer, min(reverse, max(customer.points_balance, 0)), now=now)
        _entry(customer, kind=K.REVERSE, amount=-reverse, now=now, order_number=order_number)
        change -= reverse
    # Points spent on the order: given back in proportion (RETURN already given counts).
    spent = -sums[K.REDEEM]
    back = int((spent * share).to_integral_value(ROUND_DOWN)) - sums[K.RETURN]
    if back > 0:
        _earn(customer, kind=K.RETURN, points=back, now=now, order_number=order_number)
        change += back
    return change


def _expire_locked(customer: Customer, *, now) -> int:
    """Expire the customer's lots past their date (the customer row is locked)."""
    expired = 0
    due = PointsEntry.objects.filter(customer=customer, remaining__gt=0, expires_at__lte=now)
    for lot in due.select_for_update().order_by("expires_at", "id"):
        left = lot.remaining
        lot.remaining = 0
        lot.save(update_fields=["remaining"])
        _entry(customer, kind=K.EXPIRE, amount=-left, now=now, note=f"lot:{lot.pk}")
        expired += left
    return expired


def expire_due(*, now=None) -> int:
    """Expire what is left of lots past their date: one EXPIRE entry per lot (nightly)."""
    now = now or timezone.now()
    expired = 0
    due = PointsEntry.objects.filter(remaining__gt=0, expires_at__lte=now)
    for customer_id in sorted(set(due.values_list("customer_id", flat=True))):
        with transaction.atomic():
            expired += _expire_locked(_locked(customer_id), now=now)
    return expired


def notify_expiring(*, now=None) -> int:
    """Email customers whose points expire within the notice period (once per lot);
    customers without an email see it on their member page. Returns the lots noticed."""
    from django.core.mail import send_mail

    now = now or timezone.now()
    limit = now + timedelta(days=expiry_notice_days())
    lots = PointsEntry.objects.filter(
        remaining__gt=0, expires_at__gt=now, expires_at__lte=limit, notified_at__isnull=True
    ).select_related("customer")
    by_customer: dict[int, list[PointsEntry]] = {}
    for lot in lots:
        by_customer.setdefault(lot.customer_id, []).append(lot)
    for group in by_customer.values():
        customer = group[0].customer
        if customer.email:
            points = sum(lot.remaining for lot in group)
            first = min(lot.expires_at for lot in group)
            send_mail(
                _("Your points are about to expire"),
                _("%(points)s of your points expire on %(date)s. Use them at checkout.")
                % {"points": points, "date": timezone.localdate(first).isoformat()},
                None,
                [customer.email],
                fail_silently=True,
            )
    noticed = PointsEntry.objects.filter(pk__in=[lot.pk for g in by_customer.values() for lot in g])
    return noticed.update(notified_at=now)


@transaction.atomic
def adjust(*, customer_id: int, points: int, note: str, now=None) -> PointsEntry:
    """A staff correction (+ gives a lot, − takes from the lots); a note is required."""
    now = now or timezone.now()
    if not (note or "").strip():
        raise DomainError(_("Say why the points are adjusted."), field="note")
    customer = _locked(customer_id)
    _expire_locked(customer, now=now)
    if points > 0:
        return _earn(customer, kind=K.ADJUST, points=points, now=now, note=note)
    _consume(customer, min(-points, max(customer.points_balance, 0)), now=now)
    return _entry(customer, kind=K.ADJUST, amount=points, now=now, note=note)
