"""Quality review (sampling per agent and week, scoring with the rubric) and agents' KPIs,
compared with figures computed by hand on a small fixture."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from mercato.core.errors import Conflict, PermissionDeniedError, ValidationFailed
from mercato.service import callbacks, kpis, qa, services
from mercato.service.models import QaReview
from mercato.testing.factories import make_order, priced_line
from mercato.testing.service import make_ticket

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")
MON = date(2026, 3, 2)  # a Monday


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=TZ)


def contact(agent, created, **kw):
    ticket = make_ticket(actor=agent, auto_assign=False, now=created, **kw)
    if agent is not None:
        services.assign_ticket(actor=agent, ticket_id=ticket.pk, assignee_id=agent.pk, now=created)
    return ticket


# Sampling --------------------------------------------------------------------------------------
def test_a_share_of_each_agents_week_is_sampled_at_least_one(make_staff, settings):
    settings.MERCATO_QA_SAMPLE_SHARE = 0.25
    busy, quiet, idle = make_staff("service"), make_staff("service"), make_staff("service")
    busy_week = [contact(busy, at(2, 9) + timedelta(hours=i)) for i in range(10)]
    quiet_week = [contact(quiet, at(4, 9))]
    contact(busy, at(9, 9))  # next week
    assert qa.sample_week(week=date(2026, 3, 5), seed=7) == 3 + 1
    sampled = {
        agent: set(QaReview.objects.filter(agent=agent).values_list("ticket_id", flat=True))
        for agent in (busy, quiet, idle)
    }
    assert len(sampled[busy]) == 3 and sampled[busy] <= {t.pk for t in busy_week}
    assert sampled[quiet] == {quiet_week[0].pk} and sampled[idle] == set()
    assert set(QaReview.objects.values_list("week", "status")) == {(MON, "sampled")}
    # Again: nothing new, the week is done.
    assert qa.sample_week(week=MON, seed=7) == 0


def test_the_same_seed_samples_the_same_contacts(make_staff, settings):
    settings.MERCATO_QA_SAMPLE_SHARE = 0.3
    agent = make_staff("service")
    for i in range(10):
        contact(agent, at(3, 9) + timedelta(minutes=i))

    def sample(seed):
        QaReview.objects.all().delete()
        qa.sample_week(week=MON, seed=seed)
        return sorted(QaReview.objects.values_list("ticket_id", flat=True))

    first = sample(1)
    assert sample(1) == first and len(first) == 3
    assert any(sample(seed) != first for seed in range(2, 6))


def sampled_review(agent):
    ticket = contact(agent, at(2, 9))
    qa.sample_week(week=MON)
    return QaReview.objects.get(ticket=ticket)


RUBRIC = {"greeting": 10, "accuracy": 25, "policy": 20, "tone": 15, "resolution": 10}


def test_scoring_totals_the_rubric_against_the_pass_mark(agent, supervisor, settings):
    settings.MERCATO_QA_PASS_MARK = 80
    review = sampled_review(agent)
    scored = qa.score_review(actor=supervisor, review_id=review.pk, scores=RUBRIC, note="多确认")
    assert (scored.total, scored.passed, scored.status) == (80, True, "scored")
    assert (scored.reviewer, scored.note) == (supervisor, "多确认")
    rescored = qa.score_review(actor=supervisor, review_id=review.pk, scores={**RUBRIC, "tone": 14})
    assert (rescored.total, rescored.passed) == (79, False)


@pytest.mark.parametrize(
    "bad", [{"greeting": 11}, {"accuracy": -1}, {"policy": ""}, {"tone": "x"}, {"resolution": None}]
)
def test_a_score_outside_its_criterion_is_refused(agent, supervisor, bad):
    review = sampled_review(agent)
    with pytest.raises(ValidationFailed) as refused:
        qa.score_review(actor=supervisor, review_id=review.pk, scores={**RUBRIC, **bad})
    assert set(refused.value.field_errors) == set(bad)
    review.refresh_from_db()
    assert review.status == "sampled" and review.total is None


def test_reviewers_need_the_permission_and_never_score_themselves(agent, make_staff):
    review = sampled_review(agent)
    with pytest.raises(PermissionDeniedError):
        qa.score_review(actor=make_staff("service"), review_id=review.pk, scores=RUBRIC)
    lead = make_staff("service", roles=["service_lead"])
    own = sampled_review(lead)
    with pytest.raises(Conflict):
        qa.score_review(actor=lead, review_id=own.pk, scores=RUBRIC)


# KPIs ------------------------------------------------------------------------------------------
@pytest.fixture
def week(make_staff, supervisor):
    """Two agents' contacts, callbacks and phone orders on Mon 2 and Tue 3 March 2026
    (normal priority: first response due in 4 h, resolution in 24 h); figures at Wed 4
    11:00. Comments give each contact's minutes."""
    a, b = make_staff("service"), make_staff("service")
    # a, Mon: answered in 30, resolved in 120.
    t1 = contact(a, at(2, 9))
    services.reply_to_ticket(actor=a, ticket_id=t1.pk, body="好的", now=at(2, 9, 30))
    services.change_status(actor=a, ticket_id=t1.pk, to="resolved", now=at(2, 11))
    # a, Mon: answered in 300 (late: SLA breach), resolved in 360.
    t2 = contact(a, at(2, 10))
    services.reply_to_ticket(actor=a, ticket_id=t2.pk, body="好的", now=at(2, 15))
    services.change_status(actor=a, ticket_id=t2.pk, to="resolved", now=at(2, 16))
    # a, Tue: a complaint answered in 10, closed, reopened by the customer (bad contact).
    t3 = contact(a, at(3, 9), category="complaint")
    services.reply_to_ticket(actor=a, ticket_id=t3.pk, body="抱歉", now=at(3, 9, 10))
    services.change_status(actor=a, ticket_id=t3.pk, to="closed", now=at(3, 10))
    services.receive_customer_message(ticket_id=t3.pk, body="还是不行", now=at(3, 12))
    # b, Mon: never answered (breach), failed quality review (bad contact).
    t4 = contact(b, at(2, 14))
    review = QaReview.objects.create(ticket=t4, agent=b, week=MON)
    qa.score_review(actor=supervisor, review_id=review.pk, scores={**RUBRIC, "accuracy": 5})
    # b, Tue: answered in 20, resolved in 60.
    t5 = contact(b, at(3, 8))
    services.reply_to_ticket(actor=b, ticket_id=t5.pk, body="好的", now=at(3, 8, 20))
    services.change_status(actor=b, ticket_id=t5.pk, to="resolved", now=at(3, 9))
    # Nobody's, Tue: never answered (breach).
    contact(None, at(3, 12))
    # A merged duplicate counts nowhere.
    dup = contact(a, at(3, 13))
    services.merge_tickets(actor=a, source_id=dup.pk, target_number=t3.number, now=at(3, 13))
    # Callbacks: a scores 5 (Mon) and 3 (Tue), b 4 (Tue); one next week is outside.
    for agent, score, when in [(a, 5, at(2, 17)), (a, 3, at(3, 17)), (b, 4, at(3, 18)),
                               (a, 1, at(9, 10))]:  # fmt: skip
        made = callbacks.create_callback(
            actor=agent, reason="回访", due_date=when.date(), contact_phone="13912340000",
            now=when,
        )  # fmt: skip
        callbacks.record_outcome(
            actor=agent, callback_id=made.pk, result="done", satisfaction=score, now=when
        )
    # Phone orders: a takes ¥110 and ¥210 on Mon, b ¥60 on Tue; a web order is no phone order.
    for agent, price, when, channel in [
        (a, "100.00", at(2, 12), "phone"), (a, "200.00", at(2, 13), "phone"),
        (b, "50.00", at(3, 12), "phone"), (a, "999.00", at(3, 12), "web"),
    ]:  # fmt: skip
        with time_machine.travel(when, tick=False):
            make_order(lines=[priced_line(unit_price=price)], actor=agent, channel=channel)
    return a, b


def figures(f):
    return {
        "contacts": f.contacts,
        "first_mean": f.first_response_mean,
        "first_median": f.first_response_median,
        "resolution_mean": f.resolution_mean,
        "breaches": f.breaches,
        "satisfaction": f.satisfaction,
        "bad_rate": f.bad_rate,
        "phone_orders": f.phone_orders,
        "aov": f.average_order_value,
    }


def D(value):
    return None if value is None else Decimal(value)


def test_kpis_per_agent_and_team_match_hand_computed_figures(week):
    a, b = week
    report = kpis.agent_kpis(since=MON, until=date(2026, 3, 3), period="day", now=at(4, 11))
    assert report.buckets == [MON, date(2026, 3, 3)] and report.agent_ids == sorted([a.pk, b.pk])
    expected = {
        # first response (30 + 300 + 10) / 3, median 30; resolution (120 + 360) / 2;
        # t2 late; t3 reopened: 1 / 3; callbacks (5 + 3) / 2; orders (110 + 210) / 2.
        (a.pk, None): (3, "113.3", "30.0", "240.0", 1, "4.00", "33.3", 2, "160.00"),
        (b.pk, None): (2, "20.0", "20.0", "60.0", 1, "4.00", "50.0", 1, "60.00"),
        # 6 contacts; first (30 + 300 + 10 + 20) / 4, median (20 + 30) / 2; resolution
        # (120 + 360 + 60) / 3; t2, t4, nobody's late; 2 bad of 6; (5 + 3 + 4) / 3;
        # (110 + 210 + 60) / 3.
        (None, None): (6, "90.0", "25.0", "180.0", 3, "4.00", "33.3", 3, "126.67"),
        (a.pk, MON): (2, "165.0", "165.0", "240.0", 1, "5.00", "0.0", 2, "160.00"),
        (a.pk, date(2026, 3, 3)): (1, "10.0", "10.0", None, 0, "3.00", "100.0", 0, None),
        (b.pk, MON): (1, None, None, None, 1, None, "100.0", 0, None),
        (None, date(2026, 3, 3)): (3, "15.0", "15.0", "60.0", 1, "3.50", "33.3", 1, "60.00"),
    }
    for (agent, bucket), values in expected.items():
        contacts, first, median, resolution, breaches, score, bad, orders, aov = values
        assert figures(report.get(agent, bucket)) == {
            "contacts": contacts, "first_mean": D(first), "first_median": D(median),
            "resolution_mean": D(resolution), "breaches": breaches, "satisfaction": D(score),
            "bad_rate": D(bad), "phone_orders": orders, "aov": D(aov),
        }, (agent, bucket)  # fmt: skip


def test_kpis_by_week_sum_the_days(week):
    a, _b = week
    report = kpis.agent_kpis(since=MON, until=date(2026, 3, 8), period="week", now=at(4, 11))
    assert report.buckets == [MON]
    assert figures(report.get(a.pk, MON)) == figures(report.get(a.pk, None))
    assert report.get(a.pk, MON).contacts == 3


def test_kpis_take_five_queries_whatever_the_range(week, django_assert_num_queries):
    with django_assert_num_queries(5):
        kpis.agent_kpis(since=MON, until=date(2026, 3, 31), period="day", now=at(4, 11))
