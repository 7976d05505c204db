import pytest
from django.core.management import call_command

from mercato.catalog import services as catalog
from mercato.catalog.models import ProductStatus
from mercato.search import querylog, selectors, services
from mercato.search.models import SearchDocument

from .conftest import names

pytestmark = pytest.mark.django_db


def test_chinese_words_find_products(shop):
    """华为手机 finds the Huawei phone first, not the watch or the draft."""
    found = names("华为手机")
    assert found[0] == shop["mate"].name
    assert shop["draft"].name not in found


def test_pinyin_and_initials_find_chinese_names(shop):
    """`shouji` and `sj` find the phones (手机)."""
    for query in ["shouji", "sj"]:
        found = names(query)
        assert {shop["mate"].name, shop["iphone"].name} <= set(found), query


def test_english_brand_name_finds_the_brand(shop):
    assert set(names("huawei")) == {shop["mate"].name, shop["watch"].name}


def test_misspelt_latin_word_is_corrected(shop):
    """iphnoe finds the iPhone and says what it searched for instead."""
    page = selectors.search_products(query="iphnoe")
    assert [p.name for p in page.results] == [shop["iphone"].name]
    assert page.corrections == {"iphnoe": "iphone"}


def test_default_synonym_finds_products(shop):
    """移动电话 = 手机 is one of the synonyms a shop starts with."""
    assert shop["mate"].name in names("移动电话")


def test_synonym_added_by_operations_applies_to_next_search(
    shop, ops_user, django_capture_on_commit_callbacks
):
    assert names("计步器") == []
    with django_capture_on_commit_callbacks(execute=True):
        services.save_synonym_group(actor=ops_user, terms="计步器 => 手表")
    assert names("计步器") == [shop["watch"].name]


def test_a_word_may_be_in_one_synonym_group_only(shop, ops_user):
    from mercato.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as exc:
        services.save_synonym_group(actor=ops_user, terms="手机, 大哥大")
    assert "手机" in str(exc.value.field_errors["terms"])


def test_staff_outside_operations_cannot_change_synonyms(shop, make_staff):
    from mercato.core.errors import PermissionDeniedError

    with pytest.raises(PermissionDeniedError):
        services.save_synonym_group(actor=make_staff("finance"), terms="计步器 => 手表")


def test_suggestions_complete_the_last_word(shop):
    """`huaw` (still typing) suggests the Huawei products on sale."""
    suggested = {p.name for p in selectors.suggest(prefix="huaw").products}
    assert suggested == {shop["mate"].name, shop["watch"].name}


def test_words_that_match_nothing_together_keep_the_telling_one(shop):
    """No Huawei cable: the page keeps the word that says most (数据线, the rarer category)
    and says so, instead of listing everything that has either word."""
    page = selectors.search_products(query="华为 数据线")
    assert page.loosened and page.kept == ["数据线"]
    assert [p.name for p in page.results] == [shop["cable"].name]


def test_product_change_through_services_updates_the_index(
    shop, ops_user, django_capture_on_commit_callbacks
):
    """Renaming and taking off the shelf reach the index through the (eager) Celery task."""
    with django_capture_on_commit_callbacks(execute=True):
        catalog.update_product(
            actor=ops_user, product_id=shop["watch"].pk, name="华为 WATCH 5 手表"
        )
    assert names("watch") == ["华为 WATCH 5 手表"]
    with django_capture_on_commit_callbacks(execute=True):
        catalog.set_product_status(
            actor=ops_user, product_id=shop["watch"].pk, status=ProductStatus.OFF_SHELF
        )
    assert names("watch") == []
    assert not SearchDocument.objects.filter(product=shop["watch"]).exists()


def test_products_changed_since_finds_bulk_writes(shop, django_capture_on_commit_callbacks):
    """A bulk write that sends no signal is found by its updated_at and re-indexed; the
    search page cached before the re-index is not served after it."""
    from django.utils import timezone

    from mercato.catalog.models import Product

    before = timezone.now()
    Product.objects.filter(pk=shop["cable"].pk).update(
        name="苹果 Lightning 连接线", updated_at=timezone.now()
    )
    assert names("lightning") == []
    with django_capture_on_commit_callbacks(execute=True):  # the task's commit
        services.reindex_products(product_ids=services.products_changed_since(before))
    assert names("lightning") == ["苹果 Lightning 连接线"]


def test_rebuild_command_indexes_every_product_on_sale(shop, capsys):
    SearchDocument.objects.all().delete()
    call_command("rebuild_search_index", "--quiet")
    assert SearchDocument.objects.count() == 4
    assert "Indexed 4 products on sale" in capsys.readouterr().out
    assert shop["mate"].name in names("华为")


def test_zero_result_log_and_hot_searches(shop):
    """Searches are counted per query; a query that found nothing is in the zero-result log
    and never among the hot searches."""
    for query in ["华为", "华为", "手机", "不存在的东西"]:
        page = selectors.search_products(query=query)
        querylog.record_search(query=query, total=page.total)
    assert querylog.hot_searches() == ["华为", "手机"]
    zero = list(querylog.search_report(zero_only=True))
    assert [(r["query"], r["zero"]) for r in zero] == [("不存在的东西", 1)]


def test_hidden_hot_search_is_not_shown(shop, ops_user):
    """Hiding a query takes it out of the hot searches at once, though they are cached."""
    querylog.record_search(query="华为", total=2)
    assert querylog.hot_searches() == ["华为"]
    services.set_hot_search_hidden(actor=ops_user, query="华为", hidden=True)
    assert querylog.hot_searches() == []


def test_counts_wait_in_the_process_and_add_to_the_stored_ones(shop, settings):
    """With a counting interval, searches are written together later (the operations report
    writes them first), added to what other server processes already wrote."""
    from django.utils import timezone

    from mercato.search.models import SearchQueryDay

    settings.MERCATO_SEARCH_COUNT_SECONDS = 3600
    SearchQueryDay.objects.create(
        query="华为", day=timezone.localdate(), searches=5, zero_results=0, last_seen=timezone.now()
    )
    for query, total in [("华为", 3), ("华为", 3), ("没有的", 0)]:
        querylog.record_search(query=query, total=total)
    assert SearchQueryDay.objects.get(query="华为").searches == 5
    report = {r["query"]: (r["n"], r["zero"]) for r in querylog.search_report()}
    assert report == {"华为": (7, 0), "没有的": (1, 1)}
