"""Promotions for tests: running now unless told otherwise, made through the services."""

from datetime import timedelta

from django.utils import timezone

from mercato.promotions.models import Kind, Status
from mercato.promotions.services import create_promotion


def make_promotion(kind=Kind.SPEND_SAVE, *, name=None, status=Status.ACTIVE, **fields):
    now = timezone.now()
    fields.setdefault("starts_at", now - timedelta(hours=1))
    fields.setdefault("ends_at", now + timedelta(days=1))
    if kind == Kind.SPEND_SAVE:
        fields.setdefault("tiers", [{"threshold": "300.00", "amount": "40.00"}])
    return create_promotion(kind=kind, name=name or f"{kind} promotion", status=status, **fields)
