"""Creating and changing promotions: bad input is refused naming the field, nothing
written; status moves along its table with an event; the cached running list follows."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import IntegrityError
from django.utils import timezone, translation

from mercato.core.errors import ValidationFailed
from mercato.promotions import engine
from mercato.promotions.models import Kind, Promotion, PromotionEvent, Status
from mercato.promotions.selectors import offers_version, running_offers
from mercato.promotions.services import change_status, update_promotion
from mercato.testing.promotions import make_promotion

D = Decimal
pytestmark = pytest.mark.django_db


def refused(**fields) -> dict:
    """The field errors (in English) of a promotion refused; nothing written."""
    before = Promotion.objects.count()
    with translation.override("en"), pytest.raises(ValidationFailed) as exc:
        make_promotion(**fields)
    assert Promotion.objects.count() == before
    return exc.value.field_errors


def test_kinds_are_the_engines():
    assert set(Kind.values) == set(engine.STAGES)


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"ends_at": timezone.now() - timedelta(days=2)}, "ends_at", "after the start"),
        ({"kind": Kind.AMOUNT_OFF, "amount": "-5"}, "amount", "more than zero"),
        ({"kind": Kind.PERCENT_OFF, "percent": "120"}, "percent", "at most 100"),
        ({"kind": Kind.PERCENT_OFF, "percent": "0"}, "percent", "more than 0"),
        (
            {"tiers": [{"threshold": "399", "amount": "50"}, {"threshold": "199", "amount": "20"}]},
            "tiers",
            "lowest first",
        ),
        ({"tiers": [{"threshold": "199", "amount": "-20"}]}, "tiers", "more than zero"),
        ({"tiers": [{"threshold": "19", "amount": "20"}]}, "tiers", "more than its spend"),
        ({"tiers": []}, "tiers", "at least one tier"),
        ({"kind": Kind.NTH_ITEM, "nth": 1, "percent": "50"}, "nth", "at least 2"),
        ({"kind": Kind.FREE_SHIPPING, "provinces": ["火星"]}, "provinces", "火星"),
        ({"scope": "products", "scope_ids": [987654]}, "scope_ids", "987654"),
        ({"target": "tier"}, "tier_code", "tier"),
        ({"name": " "}, "name", "name"),
    ],
)
def test_bad_input_is_refused_naming_the_field(fields, field, words):
    errors = refused(**fields)
    assert field in errors
    assert words in " ".join(map(str, errors[field]))


def test_the_message_is_in_chinese_for_chinese_staff():
    now = timezone.now()
    with pytest.raises(ValidationFailed) as exc:
        make_promotion(starts_at=now, ends_at=now)
    assert exc.value.field_errors["ends_at"] == ["结束时间必须晚于开始时间。"]


def test_overlapping_exclusive_promotions_in_one_group_are_refused():
    now = timezone.now()
    lone = {"exclusive_group": "大促", "stackable": False}
    first = make_promotion(name="618 满减", **lone)
    errors = refused(name="另一个满减", starts_at=now, ends_at=now + timedelta(hours=2), **lone)
    assert "618 满减" in errors["exclusive_group"][0]
    # After it ends, in another group, or stackable: accepted.
    make_promotion(starts_at=first.ends_at, ends_at=first.ends_at + timedelta(days=1), **lone)
    make_promotion(exclusive_group="其他", stackable=False)
    make_promotion(exclusive_group="大促", stackable=True)


def test_the_database_refuses_an_end_before_the_start_too():
    now = timezone.now()
    with pytest.raises(IntegrityError):
        Promotion.objects.create(
            name="x", kind=Kind.SPEND_SAVE, starts_at=now, ends_at=now - timedelta(1)
        )


def test_status_moves_along_its_table_with_an_event_each(ops_user):
    promotion = make_promotion(status=Status.DRAFT)
    change_status(promotion_id=promotion.pk, to_status=Status.ACTIVE, actor=ops_user)
    change_status(
        promotion_id=promotion.pk, to_status=Status.ENDED, actor=ops_user, note="提前结束"
    )
    with pytest.raises(ValidationFailed) as exc:
        change_status(promotion_id=promotion.pk, to_status=Status.ACTIVE)
    assert "status" in exc.value.field_errors
    events = list(PromotionEvent.objects.filter(promotion=promotion))
    assert [(e.from_status, e.to_status) for e in events] == [
        ("", "draft"),
        ("draft", "active"),
        ("active", "ended"),
    ]
    assert events[-1].actor == ops_user and events[-1].note == "提前结束"
    with pytest.raises(ValidationFailed):
        update_promotion(promotion_id=promotion.pk, name="改名")


def test_update_validates_with_the_fields_not_given():
    promotion = make_promotion(kind=Kind.PERCENT_OFF, percent="10")
    with pytest.raises(ValidationFailed) as exc:
        update_promotion(promotion_id=promotion.pk, ends_at=promotion.starts_at)
    assert "ends_at" in exc.value.field_errors
    update_promotion(promotion_id=promotion.pk, percent="15")
    promotion.refresh_from_db()
    assert promotion.percent == D("15.00") and promotion.kind == Kind.PERCENT_OFF


def test_running_offers_are_cached_and_follow_every_change(django_assert_num_queries):
    later = make_promotion(
        name="明天开始", starts_at=timezone.now() + timedelta(days=1),
        ends_at=timezone.now() + timedelta(days=2),
    )  # fmt: skip
    draft = make_promotion(name="草稿", status=Status.DRAFT)
    make_promotion(name="满300减40")
    with django_assert_num_queries(1):
        assert [o.name for o in running_offers()] == ["满300减40"]
    with django_assert_num_queries(0):
        assert [o.name for o in running_offers()] == ["满300减40"]
    change_status(promotion_id=draft.pk, to_status=Status.ACTIVE)
    assert {o.name for o in running_offers()} == {"满300减40", "草稿"}
    assert {o.name for o in running_offers(now=later.starts_at)} == {
        "满300减40",
        "草稿",
        "明天开始",
    }
    api_only = make_promotion(name="App 专享", channel="api")
    assert api_only.pk not in {o.id for o in running_offers(channel="web")}
    assert api_only.pk in {o.id for o in running_offers(channel="api")}


def _offers_version():
    """The promotions' version as placement's lines query reads it (a column)."""
    return Promotion.objects.annotate(v=offers_version()).values_list("v", flat=True).first()


def test_running_offers_are_kept_in_the_process_under_the_version_placement_read(
    django_assert_num_queries,
):
    """Placement reads the promotions' version in its own query; while it holds, the list
    its process kept is used: no query, no cache call. Every change renews the version."""
    first = make_promotion(name="满300减40")
    version = _offers_version()
    assert version is not None
    assert [o.name for o in running_offers(version=version)] == ["满300减40"]
    cache.clear()  # not even the cache is asked
    with django_assert_num_queries(0):
        assert [o.name for o in running_offers(version=version)] == ["满300减40"]
    # A row changed behind the services' and signals' back is not seen while it holds...
    Promotion.objects.filter(pk=first.pk).update(name="改名")
    assert [o.name for o in running_offers(version=version)] == ["满300减40"]
    # ...by a caller that read the version; one that did not reads the cache, as before.
    assert [o.name for o in running_offers()] == ["改名"]
    make_promotion(name="第二个")
    renewed = _offers_version()
    assert renewed != version
    assert {o.name for o in running_offers(version=renewed)} == {"改名", "第二个"}
    change_status(promotion_id=first.pk, to_status=Status.ENDED)
    assert [o.name for o in running_offers(version=_offers_version())] == ["第二个"]
