"""Schemas and field types shared by every router."""

from typing import Annotated

from ninja import Field, Path, Schema
from pydantic import AfterValidator

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
