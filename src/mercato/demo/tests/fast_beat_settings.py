"""Mercato's settings with every beat job due each second: the demo process tests watch a
scheduled job run without waiting its real interval."""

from mercato.settings import *  # noqa: F403
from mercato.settings import CELERY_BEAT_SCHEDULE

CELERY_BEAT_SCHEDULE = {
    name: {**entry, "schedule": 1.0} for name, entry in CELERY_BEAT_SCHEDULE.items()
}
