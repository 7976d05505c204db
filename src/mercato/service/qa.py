"""Quality review (质检): each week a share of every agent's contacts is sampled, and a
reviewer scores each against the rubric, with a coaching note.

Contacts: the tickets assigned to the agent and created in the week (Monday to Sunday,
local time), merged ones left out; chats are tickets of channel "chat", so they are sampled
with the rest. The sample: MERCATO_QA_SAMPLE_SHARE (0.1) of them, rounded up, so at least
one for an agent with any contact; chosen at random from a generator seeded by
MERCATO_QA_SEED, the week and the agent (the same week sampled again picks the same
tickets). Idempotent per agent and week: an agent with reviews for the week is skipped.

The rubric (models.QA_RUBRIC): greeting 10, accuracy 30, policy 20, tone 20, resolution 20;
a contact passes with MERCATO_QA_PASS_MARK (80) points of 100. Scoring needs
`service.review_quality`; nobody scores their own contact.
"""

import math
import random
from datetime import date, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mercato.core.days import day_start
from mercato.core.errors import Conflict, NotFound, ValidationFailed
from mercato.core.permissions import require_perm

from .models import QA_RUBRIC, QaReview, QaStatus, Ticket
from .services import _text

REVIEW = "service.review_quality"
MAX_NOTE = 2000


def sample_share() -> float:
    return float(getattr(settings, "MERCATO_QA_SAMPLE_SHARE", 0.1))


def pass_mark() -> int:
    return int(getattr(settings, "MERCATO_QA_PASS_MARK", 80))


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def week_contacts(week: date) -> dict[int, list[int]]:
    """{agent id: their ticket ids of the week, ascending}."""
    start = day_start(monday(week))
    rows = (
        Ticket.objects.filter(
            assignee__isnull=False,
            merged_into__isnull=True,
            created_at__gte=start,
            created_at__lt=start + timedelta(days=7),
        )  # fmt: skip
        .order_by("pk")
        .values_list("assignee_id", "pk")
    )
    found: dict[int, list[int]] = {}
    for agent_id, ticket_id in rows:
        found.setdefault(agent_id, []).append(ticket_id)
    return found


def sample_week(*, week: date, seed: int | None = None, now=None) -> int:
    """Sample the week's contacts of every agent not yet sampled that week; the number of
    reviews made."""
    now = now or timezone.now()
    week = monday(week)
    seed = int(getattr(settings, "MERCATO_QA_SEED", 0)) if seed is None else seed
    done = set(QaReview.objects.filter(week=week).values_list("agent_id", flat=True))
    made = 0
    for agent_id, ticket_ids in sorted(week_contacts(week).items()):
        if agent_id in done:
            continue
        n = min(len(ticket_ids), max(1, math.ceil(len(ticket_ids) * sample_share())))
        chosen = random.Random(f"{seed}:{week.isoformat()}:{agent_id}").sample(ticket_ids, n)
        try:
            with transaction.atomic():
                QaReview.objects.bulk_create(
                    QaReview(ticket_id=t, agent_id=agent_id, week=week, sampled_at=now)
                    for t in sorted(chosen)
                )
        except IntegrityError:  # another run sampled this agent's week meanwhile
            continue
        made += n
    return made


@transaction.atomic
def score_review(*, actor, review_id: int, scores: dict, note: str = "", now=None) -> QaReview:
    """Score a sampled (or rescore a scored) contact: every criterion of the rubric, from 0
    to its maximum; the total and pass or fail follow."""
    now = now or timezone.now()
    require_perm(actor, REVIEW)
    review = QaReview.objects.select_for_update().filter(pk=review_id).first()
    if review is None:
        raise NotFound(_("No such review."), field="review")
    if review.agent_id == actor.pk:
        raise Conflict(_("You cannot review your own contact."), field="reviewer")
    errors, clean = {}, {}
    for name, top in QA_RUBRIC:
        try:
            value = int(str(scores.get(name, "")).strip())
        except ValueError:
            value = -1
        if not 0 <= value <= top:
            errors[name] = [_("Give 0 to %(top)s points.") % {"top": top}]
        clean[name] = value
    if errors:
        raise ValidationFailed(errors)
    note = _text(note, "note", limit=MAX_NOTE, required=False)
    for name, value in clean.items():
        setattr(review, name, value)
    review.total = sum(clean.values())
    review.passed = review.total >= pass_mark()
    review.note, review.reviewer, review.scored_at = note, actor, now
    review.status = QaStatus.SCORED
    review.save()
    return review
