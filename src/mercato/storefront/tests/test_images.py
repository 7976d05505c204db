"""Shop pages show the WebP thumbnails of product images, without a query per image."""

import io
import re

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image

from mercato.catalog.services import add_product_image

pytestmark = pytest.mark.django_db
IMG = re.compile(r'<img[^>]* src="([^"]+)"')


def png(colour) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (1200, 900), colour).save(buffer, "PNG")
    return SimpleUploadedFile("photo.png", buffer.getvalue(), content_type="image/png")


def image_sources(response) -> list[str]:
    return IMG.findall(response.content.decode())


def test_cards_show_the_medium_webp_and_the_gallery_the_large_and_small_ones(
    client, phone_shop, ops_user
):
    """A category card uses the 360 px WebP; the product page shows the 800 px WebP as the
    main picture and 120 px ones in the strip; every URL is a file that exists."""
    p1 = phone_shop["products"][0]
    first = add_product_image(actor=ops_user, product_id=p1.pk, upload=png((200, 0, 0)))
    add_product_image(actor=ops_user, product_id=p1.pk, upload=png((0, 0, 200)))
    cache.clear()
    listing = image_sources(client.get("/c/shouji/"))
    stem = first.image.url.rsplit("/", 1)[1]
    assert [u for u in listing if stem in u] == [
        f"/media/thumbs/{first.image.name}.360x360_q85_crop-smart.webp"
    ]
    page = image_sources(client.get(f"/p/{p1.slug}/"))
    assert page[0] == f"/media/thumbs/{first.image.name}.800x800_q85.webp"
    assert sum(u.endswith("120x120_q85_crop-smart.webp") for u in page) == 2
    for url in {*listing, *page}:
        assert (settings.MEDIA_ROOT / url.removeprefix("/media/")).exists(), url


def test_images_add_no_queries_to_the_category_page(client, phone_shop, ops_user):
    """The category page costs the same number of queries with an image on every card as
    with one image: thumbnail URLs are computed, not looked up."""
    products = phone_shop["products"]
    add_product_image(actor=ops_user, product_id=products[0].pk, upload=png((9, 9, 9)))
    cache.clear()
    with CaptureQueriesContext(connection) as one:
        client.get("/c/shouji/")
    for product in products[1:]:
        add_product_image(actor=ops_user, product_id=product.pk, upload=png((9, 9, 9)))
    cache.clear()
    with CaptureQueriesContext(connection) as every:
        response = client.get("/c/shouji/")
    assert sum(".webp" in u for u in image_sources(response)) == len(products)
    assert len(every) == len(one)
