"""The return status machine: the allowed moves, written out, and the one function that
makes a move (a ReturnEvent each). docs/orders.md draws it."""

from mercato.core.errors import Conflict

from .models import ReturnEvent, ReturnRequest, ReturnStatus

R = ReturnStatus

ALLOWED: dict[str, frozenset[str]] = {
    R.REQUESTED: frozenset({R.APPROVED, R.REJECTED, R.CANCELLED}),
    R.APPROVED: frozenset({R.RETURNING, R.RECEIVED, R.CANCELLED}),
    R.RETURNING: frozenset({R.RECEIVED}),
    R.RECEIVED: frozenset({R.INSPECTED}),
    R.INSPECTED: frozenset({R.REFUNDING, R.REPLACING, R.COMPLETED}),
    R.REFUNDING: frozenset({R.COMPLETED}),
    R.REPLACING: frozenset({R.COMPLETED}),
    R.REJECTED: frozenset(),
    R.COMPLETED: frozenset(),
    R.CANCELLED: frozenset(),
}


class IllegalReturnMove(Conflict):
    code = "illegal_return_transition"

    def __init__(self, *, current: str, target: str):
        super().__init__(
            f"A return in status “{current}” cannot become “{target}”.", field="status"
        )
        self.current, self.target = current, target


def move_return(*, request: ReturnRequest, to: str, actor, reason: str = "", update_fields=()):
    """Move a return request (row lock held by the caller) and write its event; raises
    IllegalReturnMove, changing nothing, when the move is not allowed."""
    if to not in ALLOWED[request.status]:
        raise IllegalReturnMove(current=request.status, target=to)
    event = ReturnEvent.objects.create(
        request=request, from_status=request.status, to_status=to,
        actor=actor if getattr(actor, "pk", None) else None, reason=reason[:200],
    )  # fmt: skip
    request.status = to
    request.save(update_fields=["status", "updated_at", *update_fields])
    return event
