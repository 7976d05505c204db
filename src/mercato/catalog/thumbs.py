"""Thumbnail names and URLs of product images, computed without the database.

easy-thumbnails' own `thumbnail_url` looks each thumbnail up (a query per image), which
would make a list page's query count grow with its rows. `add_product_image` (and the demo
images) write every alias of THUMBNAIL_ALIASES when the image is stored, so the files are
there to be served under the names computed here.
"""

from easy_thumbnails.alias import aliases
from easy_thumbnails.files import get_thumbnailer


def thumbnail_name(fieldfile, alias: str) -> str:
    """The storage name of an image's `alias` thumbnail ("" when there is no image)."""
    if not fieldfile:
        return ""
    thumbnailer = get_thumbnailer(fieldfile)
    options = aliases.get(alias, target=thumbnailer.alias_target)
    return thumbnailer.get_thumbnail_name(options) if options else ""


def thumb_url(fieldfile, alias: str) -> str:
    """The URL of an image's `alias` thumbnail ("small", "medium", "large"), or ""."""
    name = thumbnail_name(fieldfile, alias)
    return get_thumbnailer(fieldfile).thumbnail_storage.url(name) if name else ""
