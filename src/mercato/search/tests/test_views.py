import pytest

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


def test_overlong_query_says_it_was_shortened(client, shop):
    response = client.get("/search/", {"q": "华为" * 100})
    assert "100" in response.content.decode()


def test_suggest_returns_links_and_json(client, shop):
    html = client.get("/search/suggest/", {"q": "huaw"}).content.decode()
    assert f'href="/p/{shop["mate"].slug}/"' in html
    data = client.get("/search/suggest/", {"q": "huaw", "format": "json"}).json()
    assert {s["name"] for s in data["suggestions"]} == {shop["mate"].name, shop["watch"].name}


def _count_queries(client, django_assert_max_num_queries, budget):
    with django_assert_max_num_queries(budget) as ctx:
        assert client.get("/search/", {"q": "手机", "page": "1"}).status_code == 200
    return len(ctx.captured_queries)


def test_search_page_query_count_does_not_grow_with_results(
    client, shop, django_assert_max_num_queries
):
    """The page costs the same number of queries for 2 results as for 20."""
    # Warm up: jieba's dictionary loads once per process; today's counter row is created once.
    client.get("/search/", {"q": "手机"})
    few = _count_queries(client, django_assert_max_num_queries, 20)
    category = shop["mate"].category
    for i in range(25):
        make_product(f"测试手机 {i}", category=category, brand=shop["mate"].brand)
    from mercato.search import services

    services.rebuild_index()
    many = _count_queries(client, django_assert_max_num_queries, 20)
    assert many == few


def test_operations_manage_synonyms_in_the_back_office(
    client, shop, ops_user, django_capture_on_commit_callbacks
):
    client.force_login(ops_user)
    assert client.get("/backoffice/search/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/backoffice/search/synonyms/", {"terms": "腕表 = 手表"})
    assert response.status_code == 302
    assert SynonymGroup.objects.filter(terms=["腕表", "手表"]).exists()
    assert shop["watch"].name in client.get("/search/", {"q": "腕表"}).content.decode()
    client.get("/search/", {"q": "没有的东西"})
    assert "没有的东西" in client.get("/backoffice/search/").content.decode()


def test_other_departments_cannot_open_the_search_page(client, shop, make_staff):
    client.force_login(make_staff("finance"))
    assert client.get("/backoffice/search/").status_code == 403
    assert client.post("/backoffice/search/synonyms/", {"terms": "a = b"}).status_code == 403
