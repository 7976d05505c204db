"""The knowledge base (咨询手册) over the staff API: /api/staff/articles (search, one article
with its versions, suggestions for a conversation's or a ticket's text, and for 客户主管:
write, edit, publish and archive). The same selectors and services as the back office:
agents read published articles only; a draft or archived one is 404 to them."""

from datetime import datetime
from typing import Literal

from ninja import Field, Query, Router, Schema, Status

from mercato.api.auth import staff_auth
from mercato.api.listing import check_choice
from mercato.api.schemas import Text, responses
from mercato.core.errors import NotFound, ValidationFailed
from mercato.core.permissions import require_perm
from mercato.service import knowledge, selectors
from mercato.service.models import Article, ArticleStatus

router = Router(tags=["customer service"], auth=staff_auth)
READ = "service.view_article"


class ArticleFilterIn(Schema):
    q: str = Field("", max_length=100, description="Words, pinyin or initials")
    category: int | None = None
    status: str = Field("", description="Editors only: draft, published or archived")


class ArticleOut(Schema):
    id: int
    title: str
    category: str
    status: str
    version: int | None
    updated_at: datetime


class VersionOut(Schema):
    number: int
    title: str
    note: str
    author: str | None
    created_at: datetime


class ArticleDetailOut(ArticleOut):
    body: str
    versions: list[VersionOut]


class ArticleListOut(Schema):
    results: list[ArticleOut]


class SuggestIn(Schema):
    text: str = Field("", max_length=knowledge.MAX_TEXT, description="A conversation's words")
    ticket: str = Field("", description="Or a ticket number: its subject and customer's words")


class ArticleIn(Schema):
    category_id: int
    title: Text = Field(max_length=knowledge.MAX_TITLE)
    body: Text = Field(max_length=knowledge.MAX_BODY)
    note: Text = Field("", max_length=knowledge.MAX_NOTE)


class ArticleEditIn(ArticleIn):
    base_number: int | None = Field(None, description="The version the edit started from")


class StatusIn(Schema):
    status: Literal["published", "archived"]


def _row(a: Article) -> dict:
    return {
        "id": a.pk, "title": a.title, "category": a.category.name, "status": a.status,
        "version": a.current.number if a.current_id else None, "updated_at": a.updated_at,
    }  # fmt: skip


def _detail(user, article_id: int) -> dict:
    article = knowledge.readable_article(user=user, article_id=article_id)
    if article is None:
        raise NotFound("No such article.", field="article_id")
    versions = [
        {
            "number": v.number,
            "title": v.title,
            "note": v.note,
            "author": str(v.author) if v.author_id else None,
            "created_at": v.created_at,
        }  # fmt: skip
        for v in article.versions.all()
    ]
    return {**_row(article), "body": article.body, "versions": versions}


@router.get("/articles", response=responses(ArticleListOut), summary="Search the knowledge base")
def list_articles(request, filters: Query[ArticleFilterIn]):
    require_perm(request.auth, READ)
    check_choice("status", filters.status, ArticleStatus)
    found = knowledge.article_list(
        user=request.auth, query=filters.q, category_id=filters.category, status=filters.status
    )
    return {"results": [_row(a) for a in found]}


@router.get(
    "/articles/suggest", response=responses(ArticleListOut),
    summary="Articles that answer a conversation or a ticket",
)  # fmt: skip
def suggest(request, given: Query[SuggestIn]):
    require_perm(request.auth, READ)
    text = given.text
    if given.ticket:
        require_perm(request.auth, "service.view_ticket")
        ticket = selectors.ticket_detail(number=given.ticket.strip().upper())
        if ticket is None:
            raise NotFound("No such ticket.", field="ticket")
        text = knowledge.ticket_text(ticket)
    if not text.strip():
        raise ValidationFailed({"text": ["Give the conversation's text or a ticket number."]})
    return {"results": [_row(a) for a in knowledge.suggest_articles(text)]}


@router.get("/articles/{article_id}", response=responses(ArticleDetailOut), summary="One article")
def get_article(request, article_id: int):
    require_perm(request.auth, READ)
    return _detail(request.auth, article_id)


@router.post("/articles", response=responses(ArticleDetailOut, 201), summary="Write an article")
def create_article(request, payload: ArticleIn):
    article = knowledge.create_article(actor=request.auth, **payload.dict())
    return Status(201, _detail(request.auth, article.pk))


@router.post(
    "/articles/{article_id}/versions", response=responses(ArticleDetailOut, 201),
    summary="Save a new version of an article",
)  # fmt: skip
def edit_article(request, article_id: int, payload: ArticleEditIn):
    knowledge.edit_article(actor=request.auth, article_id=article_id, **payload.dict())
    return Status(201, _detail(request.auth, article_id))


@router.post(
    "/articles/{article_id}/status", response=responses(ArticleDetailOut),
    summary="Publish or archive an article",
)  # fmt: skip
def set_status(request, article_id: int, payload: StatusIn):
    knowledge.set_article_status(actor=request.auth, article_id=article_id, status=payload.status)
    return _detail(request.auth, article_id)
