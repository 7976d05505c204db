from django import forms, template
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from mercato.catalog.thumbs import thumb_url
from mercato.fulfillment.models import Reason
from mercato.staff import roles
from mercato.staff.models import Department

from ..markup import mark_selected, option_tags
from ..navigation import menu_for, user_may

register = template.Library()


@register.inclusion_tag("backoffice/partials/nav.html", takes_context=True)
def nav_menu(context):
    request = context["request"]
    match = request.resolver_match
    current = f"{match.namespace}:{match.url_name}" if match and match.namespace else None
    return {"menu": menu_for(request.user, current)}


@register.simple_tag
def department_of(user) -> Department | None:
    """{% department_of user as department %}: the top bar's department, in one query
    (user.staff_profile.department would take two on every page)."""
    if not user.is_authenticated:
        return None
    return Department.objects.filter(staff__user=user).first()


@register.filter
def may(user, perm: str) -> bool:
    """{% if user|may:"catalog.change_price" %}: the same rule the menu uses."""
    return user_may(user, perm)


# The shop and the back office share one helper: no query per image (see catalog.thumbs).
register.filter("thumb_url", thumb_url)


def _selected_values(bound_field) -> set[str]:
    # The same normalisation as Select.format_value: None is the empty option.
    value = bound_field.value()
    values = value if isinstance(value, (list, tuple)) else [value]
    return {"" if v is None else str(v) for v in values}


@register.simple_tag
def field_widget(bound_field, options=None):
    """{{ field }}, except that a single <select> is written here in one pass.

    Django renders each <option> through its own widget template, which made the product
    list's filter form (105 categories, 150 brands) cost more than its 50 rows. The markup
    is the same: id, name, the widget's attributes and the options, escaped. `options`
    ({field name: <option> tags from `option_tags`}) replaces a field's choices with
    options written (and cached) beforehand.
    """
    widget = bound_field.field.widget
    if not isinstance(widget, forms.Select) or widget.allow_multiple_selected:
        return bound_field.as_widget()
    choices = bound_field.field.choices
    options_html = (options or {}).get(bound_field.name)
    if options_html is None:
        if any(isinstance(label, (list, tuple)) for _value, label in choices):
            return bound_field.as_widget()  # <optgroup>s: leave them to Django
        options_html = option_tags(choices)
    attrs = bound_field.build_widget_attrs(
        {**widget.attrs, "name": bound_field.html_name, "id": bound_field.auto_id}
    )
    if bound_field.errors:
        attrs["aria-invalid"] = "true"
    parts = ["<select"]
    for key, value in attrs.items():
        if value is True:
            parts.append(f" {key}")
        elif value not in (None, False, ""):
            parts.append(f' {key}="{escape(value)}"')
    parts.append(">")
    parts.append(mark_selected(options_html, _selected_values(bound_field)))
    parts.append("</select>")
    return mark_safe("".join(parts))  # noqa: S308 - every value and label is escaped


@register.filter
def role_labels(codes: str) -> str:
    """A staff member's extra roles ("lead,sysadmin") by name, in the page's language."""
    return "、".join(roles.role_label(c.strip()) for c in (codes or "").split(",") if c.strip())


# Notes the software wrote itself (search's migration marks the synonyms it ships "default").
SYSTEM_NOTES = {"default": gettext_lazy("Shipped with Mercato")}


@register.filter
def synonym_note(note: str) -> str:
    return str(SYSTEM_NOTES.get(note, note))


@register.filter
def review_reason(code: str) -> str:
    """Why the review holds an order, in words (a finding stores the reason's code)."""
    return str(Reason(code).label) if code in Reason.values else code
