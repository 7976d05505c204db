"""Product cards written in Python (storefront.cards) give exactly the markup of the
readable template storefront/partials/card.html, which they replace on the hot paths."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.utils import translation
from PIL import Image

from mercato.catalog import selectors
from mercato.catalog.models import Product
from mercato.catalog.services import add_product_image
from mercato.storefront.cards import card_html, cards_html, rows_html

pytestmark = pytest.mark.django_db


def png() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (400, 400), (200, 0, 0)).save(buffer, "PNG")
    return SimpleUploadedFile("photo.png", buffer.getvalue(), content_type="image/png")


@pytest.fixture
def varied(phone_shop, ops_user):
    """Cards of every kind: with two images, without one, a price range, a name to escape."""
    first, second, *rest = phone_shop["products"]
    add_product_image(actor=ops_user, product_id=first.pk, upload=png())
    add_product_image(actor=ops_user, product_id=first.pk, upload=png())
    Product.objects.filter(pk=first.pk).update(max_price=first.min_price + 100)
    Product.objects.filter(pk=second.pk).update(name='<b>"A&B"</b> 手机')
    return [p.pk for p in (first, second, *rest)]


def template_cards(ids, sold_out: set) -> str:
    products = selectors.product_cards(Product.objects.filter(pk__in=ids).order_by("pk"))
    out = []
    for product in products:
        product.sold_out = product.pk in sold_out
        out.append(render_to_string("storefront/partials/card.html", {"p": product}))
    return "".join(out)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_python_cards_are_the_template_cards(varied, language):
    sold_out = {varied[0], varied[2]}
    with translation.override(language):
        expected = template_cards(varied, sold_out)
        rows = selectors.card_rows(products=Product.objects.filter(pk__in=varied).order_by("pk"))
        from_rows = "".join(card_html(**r, sold_out=pk in sold_out) for pk, r in rows.items())
        products = list(
            selectors.product_cards(Product.objects.filter(pk__in=varied).order_by("pk"))
        )
        for product in products:
            product.sold_out = product.pk in sold_out
        from_models = cards_html(products)
    assert 'width="360"' in expected and "&lt;b&gt;" in expected and "<small>" in expected
    assert from_rows == expected
    assert from_models == expected


def test_rows_html_shows_no_stock_state(varied):
    rows = selectors.card_rows(products=Product.objects.filter(pk__in=varied).order_by("pk"))
    assert rows_html(rows) == template_cards(varied, sold_out=set())
