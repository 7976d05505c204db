"""The ticket list's search box reads what an agent types as what it looks like (a ticket
number, a phone in any format, an email, else words), and the list's count stops at
10,000 so a million tickets page as fast as a hundred."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mercato.core import pagination
from mercato.core.pagination import CappedPaginator
from mercato.service.selectors import ticket_list
from mercato.testing.service import make_ticket

pytestmark = pytest.mark.django_db


def numbers(q: str) -> set[str]:
    return {t.number for t in ticket_list(filters={"q": q})}


def test_the_box_finds_a_ticket_by_what_the_agent_types(agent):
    parcel = make_ticket(
        actor=agent, subject="快递一直没到", contact_phone="139 1234 0001",
        contact_email="Li.Na@Example.com", contact_name="李娜",
    )  # fmt: skip
    invoice = make_ticket(actor=agent, subject="发票抬头写错了", contact_phone="021-62345678")
    assert numbers(parcel.number) == {parcel.number}
    assert numbers(parcel.number.lower()) == {parcel.number}  # typed in lower case
    assert numbers("+86 139-1234-0001") == {parcel.number}  # the caller's number, any format
    assert numbers("13912340001") == {parcel.number}
    assert numbers("021-62345678") == {invoice.number}  # a landline, as it was written
    assert numbers("li.na@example.COM") == {parcel.number}  # an email, any case
    assert numbers("发票") == {invoice.number}  # words of the subject
    assert numbers("李娜") == {parcel.number}  # the contact's name
    # Text that fits nothing finds nothing; a number of a ticket that does not exist neither.
    assert numbers("退款") == set()
    assert numbers("TK20260101FFFFFFFF") == set()


def test_a_phone_search_does_not_match_a_subject_that_mentions_digits(agent):
    """A number is looked up as a phone only: a subject holding the same digits is not a
    match (an agent pasting a caller's number wants that caller's tickets)."""
    caller = make_ticket(actor=agent, contact_phone="13912340002")
    make_ticket(actor=agent, subject="请回电 13912340002", contact_phone="13700000000")
    assert numbers("13912340002") == {caller.number}


def test_the_count_stops_at_the_cap(agent, monkeypatch):
    for _ in range(5):
        make_ticket(actor=agent)
    monkeypatch.setattr(pagination, "COUNT_CAP", 3)
    paginator = CappedPaginator(ticket_list(), 2)
    with CaptureQueriesContext(connection) as counted:
        assert paginator.count == 4 and paginator.capped  # "more than 3"
    assert "LIMIT 4" in counted.captured_queries[0]["sql"]
    monkeypatch.setattr(pagination, "COUNT_CAP", 10)
    exact = CappedPaginator(ticket_list(), 2)
    assert exact.count == 5 and not exact.capped
    # The last page holds what is left, newest first over the pages.
    pages = [[t.pk for t in exact.page(n).object_list] for n in (1, 2, 3)]
    assert [len(p) for p in pages] == [2, 2, 1]
    assert sum(pages, []) == [t.pk for t in ticket_list()]


def test_words_match_anywhere_in_the_subject_newest_first(agent, monkeypatch):
    """Any part of a subject (one Chinese character, two, a Latin word in any case), the
    newest first; past the count's cap the newest are still the first page."""
    from mercato.service import selectors

    older = make_ticket(actor=agent, subject="iPhone 15 屏幕碎了")
    newer = make_ticket(actor=agent, subject="IPHONE 充电很慢")
    other = make_ticket(actor=agent, subject="发票抬头写错了")
    assert [t.number for t in ticket_list(filters={"q": "iphone"})] == [newer.number, older.number]
    assert numbers("票抬") == {other.number}  # the middle of a word
    assert numbers("碎") == {older.number}  # one character
    assert numbers("屏幕 碎") == set()  # words are matched as typed, spaces too
    monkeypatch.setattr(selectors, "COUNT_CAP", 1)  # more matches than a count shows
    assert [t.number for t in ticket_list(filters={"q": "iphone"})] == [newer.number, older.number]


def test_a_common_word_pages_by_the_ids_it_found(agent, monkeypatch, django_assert_num_queries):
    """Words found in more subjects than the count shows: the search reads the newest
    matches' ids once; the count is theirs ("more than") and each page reads its own rows
    by id, so the words are not searched again for the count and again for the page."""
    from mercato.service import selectors

    returns = [make_ticket(actor=agent, subject=f"退货进度 {n}") for n in range(5)]
    make_ticket(actor=agent, subject="发票抬头写错了")
    monkeypatch.setattr(selectors, "COUNT_CAP", 3)
    monkeypatch.setattr(pagination, "COUNT_CAP", 3)
    # the contact's name, the matches' ids, the page's rows, their tags
    with django_assert_num_queries(4):
        page = selectors.ticket_page(filters={"q": "退货"}, number=1, per_page=2)
        first = [t.number for t in page.object_list]
    assert first == [returns[4].number, returns[3].number]
    assert page.paginator.count == 4 and page.paginator.capped  # "more than 3"
    second = selectors.ticket_page(filters={"q": "退货"}, number=2, per_page=2)
    assert [t.number for t in second.object_list] == [returns[2].number, returns[1].number]
    # A page past the end is the last one; other filters narrow the words' matches.
    last = selectors.ticket_page(filters={"q": "退货"}, number=99, per_page=2)
    assert last.number == 2
    assert [t.number for t in last.object_list] == [returns[2].number, returns[1].number]
    returns[0].status = "closed"
    returns[0].save(update_fields=["status"])
    closed = selectors.ticket_page(filters={"q": "退货", "status": "closed"}, number=1)
    assert [t.number for t in closed.object_list] == [returns[0].number]
    assert closed.paginator.count == 1 and not closed.paginator.capped
