from django import template
from easy_thumbnails.alias import aliases
from easy_thumbnails.files import get_thumbnailer

from ..navigation import menu_for, user_may

register = template.Library()


@register.inclusion_tag("backoffice/partials/nav.html", takes_context=True)
def nav_menu(context):
    request = context["request"]
    match = request.resolver_match
    current = f"{match.namespace}:{match.url_name}" if match and match.namespace else None
    return {"menu": menu_for(request.user, current)}


@register.filter
def may(user, perm: str) -> bool:
    """{% if user|may:"catalog.change_price" %}: the same rule the menu uses."""
    return user_may(user, perm)


@register.filter
def thumb_url(fieldfile, alias: str) -> str:
    """The URL of an image's thumbnail, computed without touching the database.

    easy-thumbnails' own `thumbnail_url` looks the thumbnail up (a query per image), which
    would make a list page's query count grow with its rows. `add_product_image` renders
    every alias when the image is uploaded, so the file is there to be served.
    """
    if not fieldfile:
        return ""
    thumbnailer = get_thumbnailer(fieldfile)
    options = aliases.get(alias, target=thumbnailer.alias_target)
    if not options:
        return ""
    return thumbnailer.thumbnail_storage.url(thumbnailer.get_thumbnail_name(options))
