"""Demo product images: one 600×600 picture per product, with its WebP thumbnails.

A picture is the brand's initial and name on the colour of the product's top category,
so it is the same for every product of a brand in that category: each design is drawn
and encoded once (about 160 of them for 2,000 products) and the bytes are written for
every product that shares it. The thumbnails are written under the names easy-thumbnails
gives them (catalog.thumbs), resized here rather than by easy-thumbnails, and registered
in its tables so that deleting an image deletes them too.
"""

from functools import cache
from io import BytesIO

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models import Exists, OuterRef
from easy_thumbnails.files import get_thumbnailer
from easy_thumbnails.models import Source, Thumbnail
from easy_thumbnails.utils import get_storage_hash
from PIL import Image, ImageDraw, ImageFont

from mercato.catalog.bulk import insert_objects
from mercato.catalog.models import Category, Product, ProductImage, product_image_path
from mercato.catalog.thumbs import thumbnail_name

SIZE = 600
FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"  # has the Chinese glyphs
# Background per top category (by position); text is white on all of them.
COLOURS = [
    (37, 99, 235), (220, 38, 38), (5, 150, 105), (219, 39, 119), (217, 119, 6),
    (124, 58, 237), (8, 145, 178), (71, 85, 105), (101, 163, 13), (190, 18, 60),
]  # fmt: skip
QUALITY = 85


@cache
def _font(size: int):
    try:
        return ImageFont.truetype(FONT, size)
    except OSError:  # no WenQuanYi: Pillow's own font (Latin only, but never missing)
        return ImageFont.load_default(size)


def _centred(draw: ImageDraw.ImageDraw, y: int, text: str, size: int) -> None:
    font = _font(size)
    left, _top, right, _bottom = draw.textbbox((0, 0), text, font=font)
    draw.text(((SIZE - (right - left)) // 2, y), text, font=font, fill="white")


def draw_picture(*, brand: str, category: str, colour: tuple[int, int, int]) -> Image.Image:
    """The demo picture: a disc with the brand's initial, the brand and the category."""
    image = Image.new("RGB", (SIZE, SIZE), colour)
    draw = ImageDraw.Draw(image)
    light = tuple(min(255, c + 40) for c in colour)
    draw.ellipse((150, 90, 450, 390), fill=light)
    _centred(draw, 150, brand[:1].upper(), 170)
    _centred(draw, 420, brand[:12], 56)
    _centred(draw, 500, category[:14], 34)
    return image


def _encode(image: Image.Image, fmt: str) -> bytes:
    buffer = BytesIO()
    # WebP's fastest method: flat colours compress well anyway, and the default (4) made
    # encoding most of the seeding time.
    image.save(buffer, fmt, quality=QUALITY, **({"method": 0} if fmt == "WEBP" else {}))
    return buffer.getvalue()


def _alias_sizes() -> dict[str, int]:
    # Square pictures: every alias (cropped or not) is the alias's width, never upscaled.
    return {
        alias: min(SIZE, options["size"][0])
        for alias, options in settings.THUMBNAIL_ALIASES[""].items()
    }


def render_design(*, brand: str, category: str, colour) -> dict[str, bytes]:
    """The picture as JPEG ("") and each thumbnail alias as WebP."""
    picture = draw_picture(brand=brand, category=category, colour=colour)
    files = {"": _encode(picture, "JPEG")}
    for alias, width in _alias_sizes().items():
        small = picture if width == SIZE else picture.resize((width, width), reducing_gap=2.0)
        files[alias] = _encode(small, "WEBP")
    return files


def _save(storage, name: str, data: bytes) -> None:
    # The name is fixed (thumbnail names are derived from it): replace, never rename.
    if storage.exists(name):
        storage.delete(name)
    storage.save(name, ContentFile(data))


def seed_images(*, bar) -> int:
    """A picture and its thumbnails for every product without an image; returns how many."""
    roots = {
        path: (name, COLOURS[i % len(COLOURS)])
        for i, (path, name) in enumerate(
            Category.objects.filter(depth=1).order_by("path").values_list("path", "name")
        )
    }
    steplen = Category.steplen
    rows = (
        Product.objects.filter(~Exists(ProductImage.objects.filter(product=OuterRef("pk"))))
        .order_by("pk")
        .values_list("pk", "name", "brand__name", "category__path")
    )
    designs: dict[tuple, dict[str, bytes]] = {}
    images, sources = [], []
    for pk, name, brand, path in rows:
        root, colour = roots.get(path[:steplen], ("", COLOURS[0]))
        key = (brand or name, root)
        if key not in designs:
            designs[key] = render_design(brand=key[0], category=root, colour=colour)
        files = designs[key]
        image = ProductImage(product_id=pk, alt=name[:120], position=0, width=SIZE, height=SIZE)
        image.image.name = product_image_path(image, "demo.jpg")
        _save(default_storage, image.image.name, files[""])
        thumbnailer = get_thumbnailer(image.image)
        for alias in _alias_sizes():
            _save(thumbnailer.thumbnail_storage, thumbnail_name(image.image, alias), files[alias])
        images.append(image)
        sources.append(thumbnailer)
        bar.update(1)
    insert_objects(ProductImage, images)
    _register_thumbnails(sources)
    return len(images)


def _register_thumbnails(thumbnailers) -> None:
    """easy-thumbnails' rows for the files written above (its delete_thumbnails reads them)."""
    if not thumbnailers:
        return
    source_hash = get_storage_hash(default_storage)
    thumb_hash = get_storage_hash(thumbnailers[0].thumbnail_storage)
    names = [t.name for t in thumbnailers]
    Source.objects.filter(storage_hash=source_hash, name__in=names).delete()
    insert_objects(Source, [Source(storage_hash=source_hash, name=n) for n in names])
    ids = dict(
        Source.objects.filter(storage_hash=source_hash, name__in=names).values_list("name", "pk")
    )
    insert_objects(
        Thumbnail,
        [
            Thumbnail(
                storage_hash=thumb_hash,
                name=thumbnail_name(t, alias),
                source_id=ids[t.name],
            )
            for t in thumbnailers
            for alias in _alias_sizes()
        ],
    )
