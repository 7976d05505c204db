"""The caller's own API tokens: list, create (the raw token is shown once), revoke."""

from datetime import datetime

from ninja import Field, Router, Schema, Status

from mercato.staff import services as staff_services
from mercato.staff.models import ApiToken

from .auth import staff_auth
from .schemas import PathId, Text, responses

router = Router(tags=["staff"], auth=staff_auth)


class TokenOut(Schema):
    id: int
    name: str
    prefix: str = Field(description="The first characters of the token, to recognise it")
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class NewTokenOut(TokenOut):
    token: str = Field(description="The token itself. Shown only in this answer; store it.")


class TokenIn(Schema):
    name: Text = Field(min_length=1, max_length=60)


@router.get("/tokens", response=responses(list[TokenOut]), summary="List my API tokens")
def list_tokens(request):
    return list(ApiToken.objects.filter(user=request.auth).order_by("-created_at", "-id"))


@router.post("/tokens", response=responses(NewTokenOut, 201), summary="Create an API token")
def create_token(request, payload: TokenIn):
    token, raw = staff_services.create_api_token(actor=request.auth, name=payload.name)
    return Status(201, {**TokenOut.model_validate(token).model_dump(), "token": raw})


@router.delete("/tokens/{token_id}", response=responses(TokenOut), summary="Revoke an API token")
def revoke_token(request, token_id: PathId):
    return staff_services.revoke_api_token(actor=request.auth, token_id=token_id)
