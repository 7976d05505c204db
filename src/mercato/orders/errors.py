"""Errors of the orders app: each a DomainError with a stable code (the API maps them)."""

from django.utils.translation import gettext as _

from mercato.core.errors import Conflict


class IllegalTransition(Conflict):
    """The order's status does not allow the requested move; nothing was changed."""

    code = "illegal_transition"

    def __init__(self, *, current: str, target: str, message: str | None = None):
        super().__init__(
            message
            or _("An order in status “%(current)s” cannot become “%(target)s”.")
            % {"current": current, "target": target},
            field="status",
        )
        self.current = current
        self.target = target


class DuplicateOrder(Conflict):
    """An order with this idempotency key exists: the request was a repeat."""

    code = "duplicate_order"

    def __init__(self, *, number: str):
        super().__init__(
            _("This order was already placed as %(number)s.") % {"number": number},
            field="idempotency_key",
        )
        self.number = number


class AlreadyPaid(Conflict):
    """A second, different payment for an order that is paid: finance must look at it."""

    code = "already_paid"
