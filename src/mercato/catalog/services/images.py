from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from easy_thumbnails.files import get_thumbnailer
from PIL import Image, UnidentifiedImageError

from mercato.core.audit import acting_as
from mercato.core.errors import NotFound, ValidationFailed
from mercato.core.permissions import require_perm

from ..models import Product, ProductImage

ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}
MAX_BYTES = 8 * 1024 * 1024
MAX_PIXELS = 6000 * 6000


def _check_image(upload) -> None:
    if upload.size > MAX_BYTES:
        raise ValidationFailed({"image": [_("An image may be at most 8 MB")]})
    try:
        with Image.open(upload) as img:
            fmt = img.format
            width, height = img.size
            img.verify()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise ValidationFailed({"image": [_("Not a readable image file")]}) from None
    finally:
        upload.seek(0)
    if fmt not in ALLOWED_FORMATS:
        raise ValidationFailed(
            {"image": [_("Use JPEG, PNG, WebP or GIF, not %(format)s") % {"format": fmt}]}
        )
    if width * height > MAX_PIXELS:
        raise ValidationFailed({"image": [_("The image has too many pixels (at most 36 MP)")]})


def make_thumbnails(image: ProductImage) -> dict[str, str]:
    """Render every size in THUMBNAIL_ALIASES (WebP) now, so pages never render on demand."""
    thumbnailer = get_thumbnailer(image.image)
    return {alias: thumbnailer[alias].url for alias in settings.THUMBNAIL_ALIASES[""]}


@transaction.atomic
def add_product_image(*, actor, product_id: int, upload, alt: str = "") -> ProductImage:
    require_perm(actor, "catalog.change_product")
    product = Product.objects.select_for_update().filter(pk=product_id).first()
    if product is None:
        raise NotFound(_("Product not found"))
    _check_image(upload)
    position = product.images.count()
    with acting_as(actor):
        image = ProductImage(product=product, alt=alt[:120] or product.name, position=position)
        image.image.save(upload.name, upload, save=False)
        image.save()
    make_thumbnails(image)
    return image


@transaction.atomic
def delete_product_image(*, actor, image_id: int) -> None:
    require_perm(actor, "catalog.change_product")
    image = ProductImage.objects.filter(pk=image_id).first()
    if image is None:
        raise NotFound(_("Image not found"))
    with acting_as(actor):
        get_thumbnailer(image.image).delete_thumbnails()
        image.image.delete(save=False)
        image.delete()
