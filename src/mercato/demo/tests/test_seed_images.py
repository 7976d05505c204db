import pytest
from django.core.files.storage import default_storage
from easy_thumbnails.files import get_thumbnailer
from easy_thumbnails.models import Thumbnail
from PIL import Image

from mercato.catalog.models import Product, ProductImage
from mercato.catalog.services import delete_product_image
from mercato.catalog.thumbs import thumbnail_name
from mercato.demo.services import seed_demo

SMALL = {"products": 12, "customers": 2, "quiet": True}
ALIASES = ("small", "medium", "large")


@pytest.mark.django_db
def test_images_give_every_product_a_picture_and_its_webp_thumbnails():
    """With images, each product has one 600×600 picture in the storage and a WebP file for
    every thumbnail size, where the shop looks for them."""
    report = seed_demo(seed=1, images=True, **SMALL)
    assert report.created["images"] == 12
    assert set(ProductImage.objects.values_list("product_id", flat=True)) == set(
        Product.objects.values_list("pk", flat=True)
    )
    for image in ProductImage.objects.all():
        assert (image.width, image.height) == (600, 600)
        with default_storage.open(image.image.name) as f, Image.open(f) as picture:
            assert picture.size == (600, 600)
        storage = get_thumbnailer(image.image).thumbnail_storage
        sizes = {}
        for alias in ALIASES:
            name = thumbnail_name(image.image, alias)
            assert name.endswith(".webp")
            with storage.open(name) as f, Image.open(f) as thumb:
                sizes[alias] = (thumb.format, thumb.size)
        assert sizes == {
            "small": ("WEBP", (120, 120)),
            "medium": ("WEBP", (360, 360)),
            "large": ("WEBP", (600, 600)),  # never upscaled past the picture
        }


@pytest.mark.django_db
def test_seeding_images_again_adds_none_and_without_the_option_none_are_made():
    """Images are optional; a second run with them adds no second picture."""
    seed_demo(seed=1, **SMALL)
    assert not ProductImage.objects.exists()
    seed_demo(seed=1, images=True, **SMALL)
    report = seed_demo(seed=1, images=True, **SMALL)
    assert report.created["images"] == 0
    assert ProductImage.objects.count() == 12


@pytest.mark.django_db
def test_deleting_a_demo_image_deletes_its_thumbnails(ops_user):
    """easy-thumbnails knows the demo thumbnails, so deleting the image removes its files."""
    seed_demo(seed=1, images=True, **SMALL)
    image = ProductImage.objects.first()
    storage = get_thumbnailer(image.image).thumbnail_storage
    names = [thumbnail_name(image.image, alias) for alias in ALIASES]
    assert Thumbnail.objects.filter(name__in=names).count() == 3
    delete_product_image(actor=ops_user, image_id=image.pk)
    assert not any(storage.exists(name) for name in names)
    assert not default_storage.exists(image.image.name)
