"""What the API's list endpoints share: a filter checked against its choices, and one page
of rows in the shape every list answers with (count, page, pages, results)."""

from django.core.paginator import Paginator

from mercato.core.errors import ValidationFailed


def check_choice(name: str, value: str, choices) -> None:
    """A 422 naming the field and its choices (a TextChoices) unless `value` is empty or one
    of them."""
    if value and value not in choices.values:
        raise ValidationFailed({name: ["Choose one of: " + ", ".join(choices.values)]})


def page_of(rows, *, page: int, per_page: int, row) -> dict:
    """Page `page` of `rows` (a page past the last is the last), each result made by
    `row`."""
    current = Paginator(rows, per_page).get_page(page)
    return {
        "count": current.paginator.count,
        "page": current.number,
        "pages": current.paginator.num_pages,
        "results": [row(r) for r in current.object_list],
    }
