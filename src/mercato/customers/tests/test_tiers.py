"""customers.tiers keeps the tiers it built per language (placement asks on every order):
what it answers still follows the setting and the active language."""

from decimal import Decimal

from django.utils import translation

from mercato.customers import tiers


def test_tiers_follow_the_setting_when_it_changes(settings):
    assert [t.code for t in tiers.tiers()] == ["normal", "silver", "gold", "diamond"]
    # Given out of order: still lowest first.
    settings.MERCATO_TIERS = [
        {"code": "vip", "name": "VIP", "min_spend": 500, "free_shipping": True},
        {"code": "basic", "name": "Basic"},
    ]
    assert [(t.code, t.min_spend) for t in tiers.tiers()] == [
        ("basic", Decimal("0")),
        ("vip", Decimal("500")),
    ]
    assert tiers.tier_named("vip").free_shipping
    assert tiers.tier_named("gold").code == "basic"  # no longer configured: the lowest
    del settings.MERCATO_TIERS  # back to DEFAULT_TIERS
    assert tiers.tier_named("gold").free_shipping
    settings.MERCATO_TIERS = [{"code": "gold", "name": "Gold", "min_spend": 0}]
    assert not tiers.tier_named("gold").free_shipping


def test_tier_names_are_in_the_active_language():
    with translation.override("en"):
        english = tiers.tier_named("silver").name
    with translation.override("zh-hans"):
        chinese = tiers.tier_named("silver").name
        assert [t.name for t in tiers.tiers()][1] == chinese
    assert english == "Silver member" != chinese


def test_each_call_gets_its_own_list():
    first = tiers.tiers()
    first.clear()
    assert len(tiers.tiers()) == 4
