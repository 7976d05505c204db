"""Local days (dates) as aware datetimes, where a day meets a timestamp column."""

from datetime import date, datetime, time, timedelta

from django.utils import timezone


def day_start(day: date) -> datetime:
    """The first moment of `day` in the current time zone, aware."""
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def days_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """[since, until) of the local days `first` to `last`, both included: filter with
    `__gte` since and `__lt` until."""
    return day_start(first), day_start(last + timedelta(days=1))
