"""Errors of order processing: DomainErrors with stable codes (the API maps them)."""

from django.utils.translation import gettext as _

from mercato.core.errors import Conflict


class IllegalShipmentMove(Conflict):
    """The parcel's status does not allow the move; nothing was changed."""

    code = "illegal_shipment_transition"

    def __init__(self, *, current: str, target: str, message: str | None = None):
        super().__init__(
            message
            or _("A parcel in status “%(current)s” cannot become “%(target)s”.")
            % {"current": current, "target": target},
            field="status",
        )
        self.current, self.target = current, target


class WrongItem(Conflict):
    """A scanned barcode is not an item (still to pack) of this parcel."""

    code = "wrong_item"
