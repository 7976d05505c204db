"""The product page's body and every shop page's meta tags written in Python
(storefront.product_html, storefront.seo.meta_html) are exactly what the readable templates
partials/product_body.html and partials/meta.html render from the same context, in both
languages, for every kind of product page (and the home and category pages' meta)."""

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import translation

from mercato.catalog.models import Product, Sku
from mercato.catalog.services import add_product_image
from mercato.reviews import services as reviews
from mercato.storefront import product_html, seo
from mercato.storefront.views import product_page_parts
from mercato.testing.service import png

pytestmark = pytest.mark.django_db


@pytest.fixture
def varied(phone_shop, ops_user, settings):
    """Phone 1: two images, a description with markup, a subtitle, weights, a name to
    escape, a published question. Phone 2: no brand, no image. Phone 3: one image."""
    first, second, third = phone_shop["products"]
    add_product_image(actor=ops_user, product_id=first.pk, upload=png())
    add_product_image(actor=ops_user, product_id=first.pk, upload=png())
    add_product_image(actor=ops_user, product_id=third.pk, upload=png())
    Product.objects.filter(pk=first.pk).update(
        name='华为 <b>"A&B"</b> 手机', subtitle="轻 & 薄", description="<p>五年 <b>保修</b></p>"
    )
    Sku.objects.filter(product=first).update(weight_g=180)
    Product.objects.filter(pk=second.pk).update(brand=None)
    settings.MERCATO_REVIEWS_AUTO_PUBLISH = True
    reviews.ask_question(product_id=third.pk, text="续航怎么样？", guest_name="小李")
    skus = list(Sku.objects.filter(product=first).order_by("pk"))
    return [p.slug for p in Product.objects.order_by("pk")], skus


def both(slug: str, province: str, chosen: str) -> tuple[str, str, str, str]:
    request = RequestFactory().get(f"/p/{slug}/", {"sku": chosen} if chosen else {})
    parts = product_page_parts(request, slug, province, chosen)
    context, meta = parts["context"], parts["meta"]
    return (
        product_html.body_html(context),
        render_to_string("storefront/partials/product_body.html", context),
        seo.meta_html(meta),
        render_to_string("storefront/partials/meta.html", {"m": meta}),
    )


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_python_product_page_is_the_template_page(varied, language):
    slugs, skus = varied
    seen = []
    with translation.override(language):
        for slug in slugs:
            for province in ("", "上海市", "四川省"):
                for chosen in ("", str(skus[1].pk), "abc"):
                    body, expected_body, meta, expected_meta = both(slug, province, chosen)
                    assert body == expected_body, (slug, province, chosen)
                    assert meta == expected_meta, (slug, province, chosen)
                    seen.append(expected_body)
    page = "".join(seen)
    # Every branch of the templates was compared: images and none, thumbnails, description,
    # subtitle, weight, no brand, a question, in and out of stock, a province or none.
    parts = ['class="thumbs"', 'class="noimg big"', "<b>保修</b>", "&amp;B&quot;", "轻 &amp; 薄",
             "180 g", "续航怎么样", 'class="in"', 'class="out"', "disabled", "checked"]  # fmt: skip
    for part in parts:
        assert part in page, part


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_python_meta_of_home_and_category_pages_is_the_template_meta(
    varied, client, monkeypatch, language
):
    metas = []
    written = seo.meta_html

    def compared(m):
        metas.append((m, written(m), render_to_string("storefront/partials/meta.html", {"m": m})))
        return metas[-1][1]

    monkeypatch.setattr(seo, "meta_html", compared)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    for url in ("/", "/c/shouji/", "/c/shouji/?sort=sales", "/c/shuma/?page=2"):
        assert client.get(url).status_code == 200, url
    assert len(metas) == 4
    for m, html, expected in metas:
        assert html == expected, m
    # The branches the product pages do not take: no index, and a page without keywords.
    assert any(m.get("noindex") for m, _, _ in metas)
    assert any(not m.get("keywords") for m, _, _ in metas)
