"""api.schemas.BodyIn: the hot bodies (PlaceIn, QuoteIn) are pydantic models, not ninja
Schemas, to skip Schema's wrap validator; they validate as the same fields on a Schema
would, and are documented the same."""

import pytest
from ninja import Schema
from ninja.schema import NinjaGenerateJsonSchema
from pydantic import ValidationError, create_model

from mercato.api.orders.schemas import PlaceIn, QuoteIn
from mercato.api.schemas import BodyIn

ADDRESS = {"recipient": "张三", "mobile": "13800138000", "province": "上海市",
           "city": "上海市", "district": "浦东新区", "detail": "xx路1号"}  # fmt: skip
BODIES = [
    {"address_id": 7, "payment_method": "cod", "idempotency_key": "abcdefgh"},
    {"address": ADDRESS, "payment_method": "cod", "idempotency_key": "abcdefgh",
     "invoice": {"kind": "company", "title": "公司"}, "note": "  门口 ", "points": "12",
     "expected_total": "12.30", "coupon_code": "SAVE10", "extra": 1},
    {}, [], [1], "abc", 1, 1.5, True, None,
    {"address_id": "x", "payment_method": 5, "idempotency_key": "short"},
    {"address_id": 0, "payment_method": "", "idempotency_key": "abcdefgh", "points": -1},
    {"payment_method": "cod\x00", "idempotency_key": "abcdefgh", "note": None},
    {"address": [], "payment_method": "cod", "idempotency_key": "a" * 65, "points": 1.5},
    {"address": {"recipient": ""}, "invoice": {"kind": "x"}, "expected_total": "1.234"},
    {"address_id": True, "payment_method": "cod", "idempotency_key": "abcdefgh"},
]  # fmt: skip


def as_schema(model):
    """The same fields on a ninja Schema (what the body was before BodyIn)."""
    fields = {name: (f.annotation, f) for name, f in model.model_fields.items()}
    return create_model(model.__name__, __base__=Schema, __doc__=model.__doc__, **fields)


def outcome(model, body):
    try:
        return ("valid", model.model_validate(body).model_dump())
    except ValidationError as exc:
        return ("invalid", [(e["loc"], e["type"], e["msg"]) for e in exc.errors()])


@pytest.mark.parametrize("model", [PlaceIn, QuoteIn])
def test_a_body_validates_as_on_a_schema(model):
    assert issubclass(model, BodyIn) and not issubclass(model, Schema)
    twin = as_schema(model)
    for body in BODIES:
        assert outcome(model, body) == outcome(twin, body), body


@pytest.mark.parametrize("model", [PlaceIn, QuoteIn])
def test_a_body_is_documented_as_on_a_schema(model):
    def document(m):
        return m.model_json_schema(schema_generator=NinjaGenerateJsonSchema)

    assert document(model) == document(as_schema(model))
