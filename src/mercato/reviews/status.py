"""The moderation status machine shared by questions, answers and reviews: the allowed
moves, written out, and the one function that makes a move (a ModerationEvent each).

A pending text is published or rejected; a published one may be taken down (rejected);
a rejected one stays rejected (the author writes a new one)."""

from django.utils.translation import gettext as _

from mercato.core.errors import Conflict

from .models import ContentStatus, ModerationEvent, ProductAnswer, ProductQuestion

S = ContentStatus

ALLOWED: dict[str, frozenset[str]] = {
    S.PENDING: frozenset({S.PUBLISHED, S.REJECTED}),
    S.PUBLISHED: frozenset({S.REJECTED}),
    S.REJECTED: frozenset(),
}


class IllegalModerationMove(Conflict):
    code = "illegal_moderation_transition"

    def __init__(self, *, current: str, target: str):
        super().__init__(
            _("A text that is “%(current)s” cannot become “%(target)s”.")
            % {"current": S(current).label, "target": S(target).label},
            field="status",
        )
        self.current, self.target = current, target


def _owner(item) -> dict:
    if isinstance(item, ProductQuestion):
        return {"question": item}
    if isinstance(item, ProductAnswer):
        return {"answer": item}
    return {"review": item}


def record(*, item, from_status: str, to_status: str, actor, reason: str = "") -> None:
    ModerationEvent.objects.create(
        **_owner(item), from_status=from_status, to_status=to_status,
        actor=actor if getattr(actor, "pk", None) else None, reason=reason[:200],
    )  # fmt: skip


def move(*, item, to: str, actor, reason: str = "", now=None) -> None:
    """Move a question, answer or review (row lock held by the caller) and write its event;
    raises IllegalModerationMove, changing nothing, when the move is not allowed."""
    if to not in ALLOWED[item.status]:
        raise IllegalModerationMove(current=item.status, target=to)
    record(item=item, from_status=item.status, to_status=to, actor=actor, reason=reason)
    item.status = to
    fields = ["status", "updated_at"]
    if to == S.PUBLISHED:
        item.published_at = now
        fields.append("published_at")
    item.save(update_fields=fields)
