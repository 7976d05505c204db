"""Schemas and field types shared by every router."""

from typing import Annotated

from ninja import Field, Path, Schema
from pydantic import AfterValidator, BaseModel, model_validator

# Ids beyond a signed 64-bit integer cannot exist; refusing them keeps them out of SQL.
MAX_ID = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]


def _no_nul(value: str) -> str:
    # PostgreSQL cannot store NUL characters; refuse them at the edge instead of failing later.
    if "\x00" in value:
        raise ValueError("Text may not contain NUL characters")
    return value


Text = Annotated[str, AfterValidator(_no_nul)]


class BodyIn(BaseModel):
    """A request body read on a hot path (order placement, its quote): pydantic's
    BaseModel, not ninja's Schema. Schema runs every validation through a wrap validator
    that reads the input via DjangoGetter (made for model instances and their managers):
    ~10 us of CPU for a body of a few fields, for nothing on a parsed JSON body. The same
    fields validate the same values with the same errors, and ninja takes it as the body
    and documents it as before (api/tests/test_body_in.py)."""

    @model_validator(mode="before")
    @classmethod
    def _json_object_only(cls, data):
        # A body that is JSON but no object (a list, a string, a number, null) reads as one
        # with no fields, as through ninja's Schema: the answer names the missing fields.
        return {} if data is None or isinstance(data, list | str | int | float) else data


class FieldError(Schema):
    field: str | None
    message: str


class ErrorOut(Schema):
    """The body of every 4xx answer."""

    detail: str
    errors: list[FieldError] = []


# The 4xx answers the API gives; listed in the OpenAPI document with the error body.
ERROR_CODES = frozenset({400, 401, 403, 404, 409, 422})


def responses(schema, status: int = 200) -> dict:
    """The success schema plus the error format, so the OpenAPI document shows both."""
    return {status: schema, ERROR_CODES: ErrorOut}
