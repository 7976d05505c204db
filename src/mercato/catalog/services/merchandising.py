"""Home-page slots (banners, featured products, category blocks) that operations staff edit."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mercato.core.audit import acting_as
from mercato.core.errors import NotFound, ValidationFailed
from mercato.core.permissions import require_perm

from ..models import Category, HomeSlot, Product
from ._common import full_clean_or_fail
from .images import _check_image

PERM = "catalog.manage_merchandising"
SLOT_FIELDS = {
    "kind", "title", "subtitle", "link", "product_id", "category_id", "position",
    "starts_at", "ends_at", "is_active",
}  # fmt: skip


def _check(fields: dict) -> None:
    errors: dict[str, list[str]] = {}
    unknown = set(fields) - SLOT_FIELDS
    for name in sorted(unknown):
        errors[name] = [_("Unknown field")]
    if fields.get("product_id") and not Product.objects.filter(pk=fields["product_id"]).exists():
        errors["product"] = [_("Unknown product")]
    category_id = fields.get("category_id")
    if category_id:
        category = Category.objects.filter(pk=category_id).first()
        if category is None:
            errors["category"] = [_("Unknown category")]
        elif not category.is_root():
            errors["category"] = [_("Choose a top category")]
    link = fields.get("link") or ""
    # Only paths on this site: a slot must not send customers elsewhere.
    if link and (not link.startswith("/") or link.startswith("//")):
        errors["link"] = [_("Use a path on this site that starts with /")]
    if errors:
        raise ValidationFailed(errors)


def _save(slot: HomeSlot, fields: dict, image, actor) -> HomeSlot:
    for key, value in fields.items():
        setattr(slot, key, value)
    if image is not None:
        _check_image(image)
    with acting_as(actor):
        if image is not None:
            slot.image.save(image.name, image, save=False)
        full_clean_or_fail(slot)
        slot.save()
    return slot


@transaction.atomic
def create_home_slot(*, actor, kind: str, image=None, **fields) -> HomeSlot:
    """A new slot; a banner needs a title or an image, a featured slot a product, a category
    block a top category."""
    require_perm(actor, PERM)
    fields["kind"] = kind
    _check(fields)
    return _save(HomeSlot(), fields, image, actor)


@transaction.atomic
def update_home_slot(*, actor, slot_id: int, image=None, **fields) -> HomeSlot:
    require_perm(actor, PERM)
    _check(fields)
    slot = HomeSlot.objects.select_for_update().filter(pk=slot_id).first()
    if slot is None:
        raise NotFound(_("Slot not found"))
    return _save(slot, fields, image, actor)


@transaction.atomic
def delete_home_slot(*, actor, slot_id: int) -> None:
    require_perm(actor, PERM)
    slot = HomeSlot.objects.filter(pk=slot_id).first()
    if slot is None:
        raise NotFound(_("Slot not found"))
    with acting_as(actor):
        if slot.image:
            slot.image.delete(save=False)
        slot.delete()


def live_slots(*, at=None):
    """Slots shown now: active and inside their schedule, in kind and position order."""
    from django.db.models import Q

    now = at or timezone.now()
    return (
        HomeSlot.objects.filter(is_active=True)
        .filter(Q(starts_at__isnull=True) | Q(starts_at__lte=now))
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))
        .select_related("product", "category")
        .order_by("kind", "position", "id")
    )
