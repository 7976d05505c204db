import pytest
from django.core.cache import cache

from mercato.search.models import SearchQueryDay, SynonymGroup

from .conftest import make_product

pytestmark = pytest.mark.django_db


def test_search_page_lists_results_and_counts_the_search(client, shop):
    response = client.get("/search/", {"q": "华为手机"})
    assert response.status_code == 200
    assert shop["mate"].name in response.content.decode()
    assert SearchQueryDay.objects.get(query="华为手机").searches == 1


def test_empty_search_shows_hot_searches(client, shop):
    client.get("/search/", {"q": "手机"})
    response = client.get("/search/")
    assert response.status_code == 200
    assert "手机" in response.content.decode()


@pytest.mark.parametrize(
    "params",
    [
        {"q": "x" * 5000},
        {"q": "手机\x00\x07\x1b"},
        {"q": "手机", "page": "999999999999999999999"},
        {"q": "手机", "page": "-3"},
        {"q": "手机", "page": "abc"},
        {"q": "手机", "brand": "no-such-brand", "spec": "nonsense", "price": "-5--1"},
        {"q": "手机", "sort": "DROP TABLE"},
        {"q": '"*) OR (x'},
        {"q": "'&|!:*"},
    ],
)
def test_bad_input_never_fails(client, shop, params):
    assert client.get("/search/", params).status_code == 200
    assert client.get("/search/suggest/", params).status_code == 200


# What the shopper reads (zh_Hans, the shop's first language) when their query was cut.
SHORTENED = 'role="status">搜索词过长，已截取前 100 个字符。'


def test_overlong_query_says_it_was_shortened(client, shop):
    response = client.get("/search/", {"q": "华为" * 100})
    assert SHORTENED in response.content.decode()


def test_suggest_returns_links_and_json(client, shop):
    html = client.get("/search/suggest/", {"q": "huaw"}).content.decode()
    assert f'href="/p/{shop["mate"].slug}/"' in html
    data = client.get("/search/suggest/", {"q": "huaw", "format": "json"}).json()
    assert {s["name"] for s in data["suggestions"]} == {shop["mate"].name, shop["watch"].name}


# An uncached search page, whatever the number of results: the shop version with the
# dictionary's fingerprint and the vocabulary's token (one statement), the match (with what
# facets and sorting need), the search count, and the product cards of the page and of the
# related list together, with their first images and stock state (one statement). A query
# this process has not read since the index last changed adds the vocabulary lookup.
SEARCH_PAGE_QUERIES = 4
NEW_QUERY_QUERIES = SEARCH_PAGE_QUERIES + 1


def _count_queries(client, django_assert_num_queries, queries=SEARCH_PAGE_QUERIES, q="手机"):
    cache.clear()  # nothing served from the cache: neither the page nor its cards
    with django_assert_num_queries(queries):
        assert client.get("/search/", {"q": q, "page": "1"}).status_code == 200


def test_search_page_query_count_does_not_grow_with_results(
    client, shop, settings, django_assert_num_queries
):
    """Uncached, the page costs the same queries for 2 results as for 20, and as many the
    first time after the catalogue changed (the dictionary's check costs no query); a
    query read before costs no vocabulary lookup until the index changes."""
    settings.MERCATO_SEARCH_CACHE_SECONDS = 0
    # Warm up: jieba's dictionary loads once per process.
    client.get("/search/", {"q": "手机"})
    _count_queries(client, django_assert_num_queries)
    _count_queries(client, django_assert_num_queries, NEW_QUERY_QUERIES, q="苹果")
    category = shop["mate"].category
    for i in range(25):
        make_product(f"测试手机 {i}", category=category, brand=shop["mate"].brand)
    from mercato.search import services

    services.rebuild_index()
    _count_queries(client, django_assert_num_queries, NEW_QUERY_QUERIES)
    _count_queries(client, django_assert_num_queries)


def test_a_query_read_before_is_read_again_once_the_index_changes(client, shop, settings):
    """A word no product held when it was first searched finds the product indexed since
    (the process had kept the query as read, with the word left out)."""
    settings.MERCATO_SEARCH_CACHE_SECONDS = 0
    html = client.get("/search/", {"q": "猕猴桃"}).content.decode()
    assert "猕猴桃礼盒" not in html
    product = make_product("猕猴桃礼盒", category=shop["mate"].category)
    from mercato.search import services

    services.reindex_products(product_ids=[product.pk])
    html = client.get("/search/", {"q": "猕猴桃"}).content.decode()
    assert "猕猴桃礼盒" in html


def test_repeated_search_is_served_from_the_cache(
    client, shop, ops_user, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    """The same search again reads only the catalogue version and writes its count; once a
    product changes, the next search finds it as it is now."""
    from mercato.catalog import services as catalog

    client.get("/search/", {"q": "华为 手机"})
    with django_assert_max_num_queries(2):
        html = client.get("/search/", {"q": "华为  手机"}).content.decode()
    assert shop["mate"].name in html
    with django_capture_on_commit_callbacks(execute=True):
        catalog.update_product(actor=ops_user, product_id=shop["mate"].pk, name="华为 Mate 70 手机")
    html = client.get("/search/", {"q": "华为 手机"}).content.decode()
    assert "华为 Mate 70 手机" in html and shop["mate"].name not in html


def test_cached_search_follows_a_new_synonym(client, shop, django_capture_on_commit_callbacks):
    """A synonym added after a search was cached applies to that search at once."""
    from mercato.search import services

    assert shop["watch"].name not in client.get("/search/", {"q": "计步器"}).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        services.save_synonym_group(actor=None, terms="计步器 => 手表")
    assert shop["watch"].name in client.get("/search/", {"q": "计步器"}).content.decode()


def test_operations_manage_synonyms_in_the_back_office(
    client, shop, ops_user, django_capture_on_commit_callbacks
):
    client.force_login(ops_user)
    assert client.get("/backoffice/search/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/backoffice/search/synonyms/", {"terms": "计步器 => 手表"})
    assert response.status_code == 302
    assert SynonymGroup.objects.filter(terms=["计步器", "手表"], one_way=True).exists()
    assert shop["watch"].name in client.get("/search/", {"q": "计步器"}).content.decode()
    client.get("/search/", {"q": "没有的东西"})
    assert "没有的东西" in client.get("/backoffice/search/").content.decode()


def test_other_departments_cannot_open_the_search_page(client, shop, make_staff):
    client.force_login(make_staff("finance"))
    assert client.get("/backoffice/search/").status_code == 403
    assert client.post("/backoffice/search/synonyms/", {"terms": "a = b"}).status_code == 403


def test_sort_and_page_links_keep_the_filters(client, shop):
    """Sorting or paging a filtered search keeps its filters in the URL."""
    html = client.get("/search/", {"q": "手机", "brand": "huawei"}).content.decode()
    assert 'href="?q=%E6%89%8B%E6%9C%BA&amp;brand=huawei&amp;sort=price_asc"' in html


def test_cached_page_shows_each_visitor_their_own_notice(client, shop):
    """A cached result page still tells the visitor whose query was cut that it was."""
    assert SHORTENED not in client.get("/search/", {"q": "华为" * 50}).content.decode()
    assert SHORTENED in client.get("/search/", {"q": "华为" * 60}).content.decode()  # same page
    assert SHORTENED not in client.get("/search/", {"q": "华为" * 50}).content.decode()
