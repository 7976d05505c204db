"""Shop pages: category facets, product SKUs and stock by province, SEO, 404/410/301, cache."""

import json
import re
from decimal import Decimal
from urllib.parse import quote
from xml.etree import ElementTree

import pytest
from django.core.cache import cache

from mercato.catalog.models import ProductStatus
from mercato.catalog.services import remove_product, update_product, update_sku
from mercato.inventory.services import adjust_stock
from mercato.testing.factories import BrandFactory, make_phone

pytestmark = pytest.mark.django_db

LD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)


def json_ld(response) -> dict:
    return {b["@type"]: b for b in (json.loads(m) for m in LD.findall(response.content.decode()))}


def test_category_lists_products_of_subcategories_with_facet_counts(client, phone_shop):
    """The root category shows its subcategory's phones; facets count them by brand."""
    page = client.get("/c/shuma/").content.decode()
    for p in phone_shop["products"]:
        assert p.name in page
    assert re.search(r"华为 <small>2</small>", page) and re.search(r"小米 <small>1</small>", page)


def test_filters_are_in_the_url_and_htmx_gets_the_results_only(client, phone_shop):
    """?brand=xiaomi lists only Xiaomi; the same URL from htmx returns the results fragment."""
    page = client.get("/c/shouji/?brand=xiaomi&sort=price_asc").content.decode()
    assert "小米 手机 3" in page and "华为 手机 1" not in page
    assert '<meta name="robots" content="noindex,follow">' in page
    fragment = client.get("/c/shouji/?brand=xiaomi", headers={"HX-Request": "true"})
    body = fragment.content.decode()
    assert "<html" not in body and "小米 手机 3" in body


def test_price_sort_and_absurd_page_numbers(client, phone_shop):
    """价格↑ puts the cheapest first; page=999999 shows the last page instead of failing."""
    page = client.get("/c/shouji/?sort=price_asc").content.decode()
    assert page.index("华为 手机 2") < page.index("小米 手机 3") < page.index("华为 手机 1")
    for bad in ("999999", "-3", "abc", "1" * 50):
        assert client.get(f"/c/shouji/?page={bad}&price=-5-10&spec=x").status_code == 200


def test_unknown_category_and_product_are_404_with_the_shop_look(client, phone_shop):
    """Unknown pages answer 404 with a way back home."""
    for url in ("/c/nosuch/", "/p/nosuch/", "/no/such/page/"):
        response = client.get(url)
        assert response.status_code == 404
        assert "site-header" in response.content.decode()


def test_removed_product_is_410(client, phone_shop, ops_user):
    """A product removed for good answers 410 Gone, and leaves the category."""
    product = phone_shop["products"][0]
    remove_product(actor=ops_user, product_id=product.pk)
    assert client.get(f"/p/{product.slug}/").status_code == 410
    assert product.name not in client.get("/c/shouji/").content.decode()


def test_changed_slug_redirects_permanently(
    client, phone_shop, ops_user, django_capture_on_commit_callbacks
):
    """After a slug change the old URL answers 301 to the new one."""
    product = phone_shop["products"][0]
    old = product.slug
    client.get(f"/p/{old}/")  # cached under the old slug
    with django_capture_on_commit_callbacks(execute=True):
        update_product(actor=ops_user, product_id=product.pk, slug="new-slug")
    response = client.get(f"/p/{old}/")
    assert response.status_code == 301 and response["Location"] == "/p/new-slug/"
    assert client.get("/p/new-slug/").status_code == 200


def sku_map(response) -> dict:
    html = response.content.decode()
    raw = re.search(r'<script id="sku-data" type="application/json">(.*?)</script>', html, re.S)
    return {tuple(s["specs"].values()): s["available"] for s in json.loads(raw.group(1))}


def test_stock_shows_for_the_customers_province(client, phone_shop):
    """Stock counts only in warehouses serving the chosen province: 上海 has 黑色/128GB,
    四川 has 白色/256GB, 西藏 nothing; with no province, any warehouse counts."""
    url = f"/p/{phone_shop['products'][0].slug}/"
    assert sku_map(client.get(url)) == {
        ("黑色", "128GB"): True, ("黑色", "256GB"): False,
        ("白色", "128GB"): False, ("白色", "256GB"): True,
    }  # fmt: skip
    client.get("/province/", {"province": "江苏省", "next": url})
    page = client.get(url)
    assert [k for k, v in sku_map(page).items() if v] == [("黑色", "128GB")]
    assert "有货" in page.content.decode()
    client.get("/province/", {"province": "四川省", "next": url})
    assert [k for k, v in sku_map(client.get(url)).items() if v] == [("白色", "256GB")]
    client.get("/province/", {"province": "西藏自治区", "next": url})
    page = client.get(url)
    assert not any(sku_map(page).values()) and "无货" in page.content.decode()


def test_province_choice_ignores_unknown_provinces_and_foreign_redirects(client, phone_shop):
    """A made-up province is not remembered; `next` may not leave the site."""
    response = client.get("/province/", {"province": "火星", "next": "https://evil.example/"})
    assert response["Location"] == "/" and "province" not in response.cookies


def test_spec_values_without_any_stock_cannot_be_chosen(client, phone_shop):
    """In 江苏省 only 黑色/128GB is in stock: 白色 and 256GB are rendered disabled."""
    client.cookies["province"] = quote("江苏省")
    html = client.get(f"/p/{phone_shop['products'][0].slug}/").content.decode()
    assert re.search(r'value="白色"\s+disabled', html)
    assert re.search(r'value="256GB"\s+disabled', html)
    assert re.search(r'value="黑色" checked', html)


def test_product_json_ld_has_offers_with_price_currency_and_availability(client, phone_shop):
    """Product JSON-LD parses, names the product and offers each SKU in CNY."""
    data = json_ld(client.get(f"/p/{phone_shop['products'][0].slug}/"))
    product = data["Product"]
    assert product["name"] == "华为 手机 1" and product["brand"]["name"] == "华为"
    offers = product["offers"]
    assert len(offers) == 4
    for offer in offers:
        assert offer["priceCurrency"] == "CNY" and Decimal(offer["price"]) == Decimal("2999.00")
        assert offer["availability"] in {
            "https://schema.org/InStock",
            "https://schema.org/OutOfStock",
        }
    crumbs = data["BreadcrumbList"]["itemListElement"]
    assert [c["name"] for c in crumbs] == ["首页", "数码", "手机", "华为 手机 1"]
    assert [c["position"] for c in crumbs] == [1, 2, 3, 4]


def test_seo_fields_and_defaults(client, phone_shop, ops_user, django_capture_on_commit_callbacks):
    """Title, description and keywords come from the SEO fields, else from the product."""
    product = phone_shop["products"][0]
    html = client.get(f"/p/{product.slug}/").content.decode()
    assert "<title>华为 手机 1 - Mercato</title>" in html
    assert f'<link rel="canonical" href="http://testserver/p/{product.slug}/">' in html
    assert '<meta property="og:type" content="product">' in html
    with django_capture_on_commit_callbacks(execute=True):
        update_product(
            actor=ops_user,
            product_id=product.pk,
            seo_title="华为手机特惠",
            seo_keywords="华为,手机",
        )
    html = client.get(f"/p/{product.slug}/").content.decode()
    assert "<title>华为手机特惠</title>" in html and 'content="华为,手机"' in html


def test_home_has_organization_json_ld(client, phone_shop):
    """The home page names the organisation in JSON-LD."""
    data = json_ld(client.get("/"))
    assert data["Organization"]["name"] == "Mercato"
    assert data["Organization"]["url"] == "http://testserver/"


def test_robots_txt(client, phone_shop):
    """robots.txt keeps crawlers out of back office and accounts and names the sitemap."""
    text = client.get("/robots.txt").content.decode()
    assert "Disallow: /backoffice/" in text and "Disallow: /account/" in text
    assert "Sitemap: http://testserver/sitemap.xml" in text


NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def test_sitemap_index_splits_sections_into_pages(client, phone_shop, settings):
    """With a limit of 2 URLs per page, 3 products make two product pages in the index."""
    settings.MERCATO_SITEMAP_LIMIT = 2
    index = ElementTree.fromstring(client.get("/sitemap.xml").content)  # noqa: S314 - our own XML
    locations = [e.text for e in index.findall("s:sitemap/s:loc", NS)]
    assert "http://testserver/sitemap-products.xml" in locations
    assert "http://testserver/sitemap-products.xml?p=2" in locations
    urls = []
    for page in ("1", "2"):
        xml = ElementTree.fromstring(client.get("/sitemap-products.xml", {"p": page}).content)  # noqa: S314 - our own XML
        urls += [e.text for e in xml.findall("s:url/s:loc", NS)]
    assert sorted(urls) == sorted(f"http://testserver/p/{p.slug}/" for p in phone_shop["products"])
    categories = ElementTree.fromstring(client.get("/sitemap-categories.xml").content)  # noqa: S314 - our own XML
    assert len(categories.findall("s:url", NS)) == 2


def test_sitemap_leaves_out_products_not_on_sale(client, phone_shop):
    """Drafts and off-shelf products are not in the sitemap."""
    product = phone_shop["products"][1]
    product.status = ProductStatus.OFF_SHELF
    product.save()
    xml = client.get("/sitemap-products.xml").content.decode()
    assert product.slug not in xml and phone_shop["products"][0].slug in xml


def test_price_change_through_the_service_shows_at_once(
    client, phone_shop, ops_user, django_capture_on_commit_callbacks
):
    """A cached product page shows a new price on the next request."""
    sku = phone_shop["skus"][("黑色", "128GB")]
    url = f"/p/{sku.product.slug}/"
    assert "¥2999.00" in client.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        update_sku(actor=ops_user, sku_id=sku.pk, list_price="2799.00")
    html = client.get(url).content.decode()
    assert "¥2799.00" in html and '"price":"2799.00"' in html
    assert "¥2799.00" in client.get("/c/shouji/").content.decode()


def test_stock_running_out_shows_at_once(
    client, phone_shop, ops_user, django_capture_on_commit_callbacks
):
    """When the last unit in the province's warehouses is counted away, the page says 无货."""
    client.cookies["province"] = quote("上海市")
    sku = phone_shop["skus"][("黑色", "128GB")]
    url = f"/p/{sku.product.slug}/"
    assert "有货" in client.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        adjust_stock(
            actor=None,
            sku_id=sku.pk,
            warehouse_id=phone_shop["warehouses"][0].pk,
            delta=-5,
            reason="盘点",
        )
    assert not any(sku_map(client.get(url)).values())


def test_pages_are_served_from_the_cache(client, phone_shop, django_assert_max_num_queries):
    """A second request reads only the version counter (and the category row), no session."""
    for url, queries in (
        ("/", 1),
        ("/c/shouji/?brand=huawei", 2),
        (f"/p/{phone_shop['products'][0].slug}/", 1),
    ):
        client.get(url)
        with django_assert_max_num_queries(queries):
            assert client.get(url).status_code == 200


@pytest.mark.parametrize("extra", [2, 37])
def test_query_budgets_do_not_grow_with_the_number_of_products(
    client, phone_shop, extra, django_assert_max_num_queries
):
    """Home, category (with two facets) and product pages: the same query count for 5 or 40
    products, rendered uncached."""
    brand = BrandFactory(name="荣耀", slug="honor")
    for n in range(extra):
        make_phone(phone_shop["phones"], brand, 100 + n, price=f"{1000 + n}.00")
    from mercato.catalog.services import sync_spec_values

    sync_spec_values(p.pk for p in phone_shop["phones"].products.all())
    cache.clear()
    with django_assert_max_num_queries(6):
        client.get("/")
    with django_assert_max_num_queries(14):
        client.get("/c/shuma/?brand=honor&spec=颜色:黑色&page=2")
    with django_assert_max_num_queries(10):
        client.get(f"/p/{phone_shop['products'][0].slug}/")
