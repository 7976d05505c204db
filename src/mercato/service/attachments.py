"""Image attachments on a ticket message: checked with Pillow (a real, readable image of a
web format, at most MAX_BYTES), stored with a WebP thumbnail for the thread."""

import io
import secrets

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from mercato.core.errors import ValidationFailed

from .models import TicketAttachment, TicketMessage

FORMATS = {"JPEG", "PNG", "GIF", "WEBP"}
MAX_FILES = 6
THUMBNAIL = (320, 320)


def max_bytes() -> int:
    return int(getattr(settings, "MERCATO_TICKET_ATTACHMENT_MAX_BYTES", 5 * 1024 * 1024))


def check_images(uploads, *, field: str = "attachments") -> None:
    """Raise ValidationFailed naming `field.<i>` for the first upload that is too large or
    not an image; nothing is stored."""
    uploads = list(uploads or [])
    if len(uploads) > MAX_FILES:
        raise ValidationFailed({field: [_("At most %(n)s images.") % {"n": MAX_FILES}]})
    limit = max_bytes()
    for i, upload in enumerate(uploads):
        name = getattr(upload, "name", "") or f"#{i + 1}"
        if upload.size > limit:
            raise ValidationFailed(
                {f"{field}.{i}": [_("%(name)s is larger than %(mb)s MB.")
                                  % {"name": name, "mb": round(limit / 1024 / 1024, 1)}]}
            )  # fmt: skip
        try:
            with Image.open(upload) as img:
                fmt = img.format
                img.verify()
        except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError):
            fmt = None
        finally:
            upload.seek(0)
        if fmt not in FORMATS:
            raise ValidationFailed(
                {f"{field}.{i}": [_("%(name)s is not an image (JPEG, PNG, GIF or WebP).")
                                  % {"name": name}]}
            )  # fmt: skip


def _thumbnail(upload) -> tuple[ContentFile, int, int]:
    upload.seek(0)
    with Image.open(upload) as img:
        width, height = img.size
        img = ImageOps.exif_transpose(img)
        img.thumbnail(THUMBNAIL)
        if img.mode not in ("RGB", "RGBA"):
            img = img.convert("RGBA")
        out = io.BytesIO()
        img.save(out, "WEBP", quality=80)
    upload.seek(0)
    return ContentFile(out.getvalue()), width, height


def store_images(*, message: TicketMessage, uploads) -> list[TicketAttachment]:
    """Store already checked uploads (check_images) on `message`, each with its thumbnail."""
    stored = []
    for upload in uploads or []:
        thumb, width, height = _thumbnail(upload)
        item = TicketAttachment(
            message=message, token=secrets.token_hex(4), size=upload.size,
            original_name=(getattr(upload, "name", "") or "image")[:200],
            width=width, height=height,
        )  # fmt: skip
        item.image.save(getattr(upload, "name", "") or "image.jpg", upload, save=False)
        item.thumbnail.save("t.webp", thumb, save=False)
        item.save()
        stored.append(item)
    return stored
