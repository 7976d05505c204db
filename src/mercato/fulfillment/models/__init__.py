"""Order processing's models, by topic: review, carriers, shipments and waves, audit."""

from .audit import Penalty, PenaltyKind, PenaltyRule, Remittance, RemittanceLine
from .bulk import BulkJob
from .carriers import BoxSize, Carrier, ChoiceRule, DeliveryPromise, RateCard, ServiceLevel
from .review import BlacklistEntry, BlacklistKind, OrderReview, Reason, ReviewRule
from .shipments import (
    Shipment,
    ShipmentComplaint,
    ShipmentEvent,
    ShipmentKind,
    ShipmentLine,
    ShipmentStatus,
    TrackingCode,
    TrackingEvent,
    Wave,
    WebhookNonce,
)

__all__ = [
    "BlacklistEntry",
    "BlacklistKind",
    "BoxSize",
    "BulkJob",
    "Carrier",
    "ChoiceRule",
    "DeliveryPromise",
    "OrderReview",
    "Penalty",
    "PenaltyKind",
    "PenaltyRule",
    "RateCard",
    "Reason",
    "Remittance",
    "RemittanceLine",
    "ReviewRule",
    "ServiceLevel",
    "Shipment",
    "ShipmentComplaint",
    "ShipmentEvent",
    "ShipmentKind",
    "ShipmentLine",
    "ShipmentStatus",
    "TrackingCode",
    "TrackingEvent",
    "Wave",
    "WebhookNonce",
]
