"""Carriers' tracking webhook: POST /api/carriers/{code}/tracking, signed with the
carrier's shared secret (fulfillment.tracking: HMAC-SHA256 over timestamp, nonce and body,
replay-proof). No session or token: the signature is the authentication."""

from ninja import Router, Schema

from mercato.api.schemas import responses
from mercato.fulfillment.tracking import receive_webhook

router = Router(tags=["carriers"])


class OutcomeOut(Schema):
    event_id: str
    outcome: str


class TrackingOut(Schema):
    applied: int
    kept: int
    duplicates: int
    outcomes: list[OutcomeOut]


@router.post(
    "/{code}/tracking",
    auth=None,
    response=responses(TrackingOut),
    summary="Tracking events from a carrier (signed webhook)",
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "events": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "properties": {
                                        "event_id": {"type": "string"},
                                        "waybill_no": {"type": "string"},
                                        "code": {"type": "string"},
                                        "occurred_at": {"type": "string", "format": "date-time"},
                                        "location": {"type": "string"},
                                        "description": {"type": "string"},
                                    },
                                },
                            }
                        },
                    }
                }
            },
            "required": True,
        }
    },
)
def tracking(request, code: str):
    """Headers: X-Mercato-Timestamp (Unix seconds, ±300 s), X-Mercato-Nonce (8-64
    characters, once per carrier), X-Mercato-Signature = hex HMAC-SHA256 of
    "{timestamp}.{nonce}.{body}" with the carrier's secret. 401 for a bad or stale
    signature, 409 for a replayed nonce, 422 naming every bad event (nothing applied)."""
    result = receive_webhook(carrier_code=code, headers=request.headers, body=request.body)
    return {
        "applied": result.applied,
        "kept": result.kept,
        "duplicates": result.duplicates,
        "outcomes": result.outcomes,
    }
