from django.db import transaction
from django.utils.translation import gettext as _

from mercato.core.audit import acting_as
from mercato.core.errors import NotFound, ValidationFailed
from mercato.core.permissions import require_perm

from ..models import Brand, Category, SpecAttribute
from ..shopcache import bump_shop_version
from ..text import unique_slug
from ._common import full_clean_or_fail

MOVE_POSITIONS = {"first-child", "last-child", "left", "right"}


def _category(category_id) -> Category:
    category = Category.objects.filter(pk=category_id).first()
    if category is None:
        raise NotFound(_("Category %(id)s not found") % {"id": category_id}, field="category")
    return category


@transaction.atomic
def create_category(
    *, actor, name: str, parent_id: int | None = None, slug: str = "", **seo
) -> Category:
    """A new category under `parent_id` (a root when None), placed after its siblings."""
    if actor is not None:
        require_perm(actor, "catalog.add_category")
    name = (name or "").strip()
    if not name:
        raise ValidationFailed({"name": [_("A category needs a name")]})
    with acting_as(actor):
        fields = {"name": name, "slug": slug or unique_slug(Category, name), **seo}
        candidate = Category(**fields, path="0", depth=1)
        full_clean_or_fail(candidate, exclude=["path", "depth", "numchild"])
        if parent_id:
            return Category.objects.add_child(_category(parent_id), fields)
        return Category.objects.add_root(fields)


@transaction.atomic
def update_category(*, actor, category_id: int, **fields) -> Category:
    require_perm(actor, "catalog.change_category")
    allowed = {"name", "slug", "is_active", "seo_title", "seo_keywords", "seo_description"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationFailed({f: [_("This field cannot be changed here")] for f in unknown})
    with acting_as(actor):
        category = Category.objects.select_for_update().get(pk=_category(category_id).pk)
        for key, value in fields.items():
            setattr(category, key, value)
        full_clean_or_fail(category, exclude=["path", "depth", "numchild"])
        category.save()
    return category


@transaction.atomic
def move_category(*, actor, category_id: int, target_id: int, position: str) -> Category:
    """Move a category and its whole subtree: beside `target` (left/right) or into it."""
    require_perm(actor, "catalog.change_category")
    if position not in MOVE_POSITIONS:
        raise ValidationFailed(
            {
                "position": [
                    _("Choose one of %(choices)s") % {"choices": ", ".join(sorted(MOVE_POSITIONS))}
                ]
            }
        )
    category = _category(category_id)
    target = _category(target_id)
    if target.pk == category.pk or target.is_descendant_of(category):
        raise ValidationFailed({"target": [_("A category cannot move into its own subtree")]})
    with acting_as(actor):
        Category.objects.move(
            category,
            target,
            pos=position,
        )
    # The tree's paths are rewritten without a save: the subtree's products' trails changed.
    bump_shop_version()
    category.refresh_from_db()
    return category


@transaction.atomic
def set_category_specs(*, actor, category_id: int, specs: list[tuple[str, list[str]]]) -> list:
    """Replace the category's spec list: [(name, [suggested values]), ...] in order."""
    if actor is not None:
        require_perm(actor, "catalog.change_category")
    category = _category(category_id)
    names = [name.strip() for name, _ in specs]
    if any(not n for n in names) or len(set(names)) != len(names):
        raise ValidationFailed({"specs": [_("Spec names must be present and distinct")]})
    with acting_as(actor):
        SpecAttribute.objects.filter(category=category).exclude(name__in=names).delete()
        result = []
        for position, (name, options) in enumerate(specs):
            spec, _created = SpecAttribute.objects.update_or_create(
                category=category,
                name=name.strip(),
                defaults={"position": position, "options": [str(o) for o in options]},
            )
            result.append(spec)
    return result


@transaction.atomic
def create_brand(
    *, actor, name: str, name_en: str = "", country: str = "", slug: str = ""
) -> Brand:
    if actor is not None:
        require_perm(actor, "catalog.add_brand")
    name = (name or "").strip()
    if not name:
        raise ValidationFailed({"name": [_("A brand needs a name")]})
    if Brand.objects.filter(name=name).exists():
        raise ValidationFailed({"name": [_("A brand with this name exists")]})
    with acting_as(actor):
        brand = Brand(
            name=name,
            name_en=name_en,
            country=country,
            slug=slug or unique_slug(Brand, name_en or name),
        )
        full_clean_or_fail(brand)
        brand.save()
    return brand
