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
