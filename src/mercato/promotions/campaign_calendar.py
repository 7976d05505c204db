"""The campaign calendar: statutory holidays from the maintained `chinese_calendar`
package (春节, 中秋 ... with the days off it lists), the commerce dates every Chinese shop
plans for (618, 双11, 双12: fixed dates), and the promotions running or planned in a month.
`schedule_recurring` copies a promotion onto the next occurrence of a holiday.
"""

import calendar as month_calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mercato.core.errors import ValidationFailed

from .models import Promotion, Status

SHANGHAI = ZoneInfo("Asia/Shanghai")

# chinese_calendar's holiday names (English) -> what the calendar shows.
HOLIDAY_NAMES = {
    "New Year's Day": gettext_lazy("New Year's Day"),
    "Spring Festival": gettext_lazy("Spring Festival"),
    "Tomb-sweeping Day": gettext_lazy("Tomb-sweeping Day"),
    "Labour Day": gettext_lazy("Labour Day"),
    "Dragon Boat Festival": gettext_lazy("Dragon Boat Festival"),
    "National Day": gettext_lazy("National Day"),
    "Mid-autumn Festival": gettext_lazy("Mid-autumn Festival"),
    "Anti-Fascist 70th Day": gettext_lazy("Anti-Fascist 70th Day"),
}
# Shopping festivals: (key, month, day, label). One day each.
COMMERCE_DATES = (
    ("618", 6, 18, gettext_lazy("618 shopping festival")),
    ("1111", 11, 11, gettext_lazy("Singles' Day (双11)")),
    ("1212", 12, 12, gettext_lazy("双12 shopping festival")),
)


@dataclass(frozen=True)
class Occasion:
    """A holiday period (consecutive days off of one holiday) or a commerce date."""

    key: str  # chinese_calendar's English holiday name, or "618", "1111", "1212"
    label: str
    first: date
    last: date
    commerce: bool = False


def _holiday_days(start: date, end: date) -> list[tuple[date, str]]:
    """(day, holiday name) for the statutory days off in [start, end] that the package
    knows (it covers the years the State Council has published)."""
    days = []
    day = start
    while day <= end:
        try:
            on, name = chinese_calendar.get_holiday_detail(day)
        except NotImplementedError:  # a year the package does not cover yet
            on, name = False, None
        if on and name:
            days.append((day, name))
        day += timedelta(days=1)
    return days


def occasions(start: date, end: date) -> list[Occasion]:
    """Holiday periods and commerce dates touching [start, end], by first day."""
    found: list[Occasion] = []
    # Look a little past both ends so a period crossing them is whole.
    for day, name in _holiday_days(start - timedelta(days=10), end + timedelta(days=10)):
        last = found[-1] if found and not found[-1].commerce else None
        if last and last.key == name and last.last == day - timedelta(days=1):
            found[-1] = Occasion(name, last.label, last.first, day)
        else:
            found.append(Occasion(name, str(HOLIDAY_NAMES.get(name, name)), day, day))
    for year in range(start.year, end.year + 1):
        for key, month, day, label in COMMERCE_DATES:
            on = date(year, month, day)
            found.append(Occasion(key, str(label), on, on, commerce=True))
    return sorted(
        (o for o in found if o.last >= start and o.first <= end), key=lambda o: (o.first, o.key)
    )


def occasion_keys() -> list[tuple[str, str]]:
    """The holidays and commerce dates a campaign can recur on: (key, label)."""
    return [(k, str(v)) for k, v in HOLIDAY_NAMES.items() if k != "Anti-Fascist 70th Day"] + [
        (key, str(label)) for key, _m, _d, label in COMMERCE_DATES
    ]


def next_occurrence(key: str, *, today: date) -> Occasion | None:
    """The next period of holiday `key` (or commerce date) that has not ended by `today`,
    within the next two years; None when the package does not know one yet."""
    for occasion in occasions(today, today + timedelta(days=730)):
        if occasion.key == key and occasion.last >= today:
            return occasion
    return None


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=SHANGHAI)


def promotions_between(start: date, end: date):
    """Promotions of any status whose schedule touches the days [start, end] (Shanghai
    time): one query."""
    return Promotion.objects.filter(
        starts_at__lt=local_midnight(end + timedelta(days=1)), ends_at__gt=local_midnight(start)
    ).order_by("starts_at", "pk")


@dataclass(frozen=True)
class Bar:
    promotion: Promotion
    first_col: int  # 1-based day of the month the bar starts on
    span: int  # days
    state: str  # "running", "planned" (draft or not started), "ended"
    first_day: date  # its first and last day (Shanghai), whatever the month
    last_day: date


def month_view(year: int, month: int, *, now: datetime | None = None) -> dict:
    """A month's days (with holidays and workdays-on-weekend), and a bar per promotion over
    the days it runs: one query for the promotions."""
    now = now or timezone.now()
    days_in = month_calendar.monthrange(year, month)[1]
    first, last = date(year, month, 1), date(year, month, days_in)
    events = occasions(first, last)
    days = []
    for n in range(1, days_in + 1):
        day = date(year, month, n)
        names = [o.label for o in events if o.first <= day <= o.last]
        try:
            workday = chinese_calendar.is_workday(day)
            in_lieu = chinese_calendar.is_in_lieu(day)
        except NotImplementedError:
            workday, in_lieu = day.weekday() < 5, False
        days.append(
            {
                "date": day,
                "names": names,
                "off": not workday,
                "makeup": workday and day.weekday() >= 5,  # 调休上班
                "in_lieu": in_lieu,
            }
        )
    bars = []
    for promotion in promotions_between(first, last):
        first_day = timezone.localtime(promotion.starts_at, SHANGHAI).date()
        end_at = timezone.localtime(promotion.ends_at, SHANGHAI)
        if end_at.time() == time.min:  # ends at midnight: the day before is its last
            end_at -= timedelta(microseconds=1)
        start, end = max(first_day, first), min(end_at.date(), last)
        if promotion.status == Status.ENDED or promotion.ends_at <= now:
            state = "ended"
        elif promotion.status == Status.ACTIVE and promotion.starts_at <= now:
            state = "running"
        else:
            state = "planned"
        bars.append(
            Bar(promotion, start.day, (end - start).days + 1, state, first_day, end_at.date())
        )
    return {"first": first, "days": days, "occasions": events, "bars": bars}


def schedule_recurring(*, promotion_id: int, occasion_key: str, actor=None, today=None):
    """A draft copy of a promotion running over the next period of a holiday (or commerce
    date): from its first day 00:00 to the day after its last, Shanghai time; named with
    the holiday and year. Validated by services.create_promotion (overlaps refused)."""
    from . import services

    source = Promotion.objects.get(pk=promotion_id)
    today = today or timezone.localdate(timezone.now(), SHANGHAI)
    occasion = next_occurrence(occasion_key, today=today)
    if occasion is None:
        raise ValidationFailed(
            {"occasion": [_("The calendar has no coming date for this holiday yet.")]}
        )
    fields = {name: getattr(source, name) for name in services.FIELDS}
    suffix = f" · {occasion.label} {occasion.first.year}"
    fields["name"] = (source.name[: 80 - len(suffix)] + suffix).strip()
    fields["starts_at"] = local_midnight(occasion.first)
    fields["ends_at"] = local_midnight(occasion.last + timedelta(days=1))
    return services.create_promotion(actor=actor, **fields)
