"""Every page of the site, from the URL configuration (issue 18's accessibility walk).

`pages(client, prefix=...)` lists the URLs under a prefix that answer a GET from the given
client with a whole HTML page: each URL pattern is reversed with its parameters filled
from the rows in the database (`product_id` → a product, `slug` under a category view →
a category's slug, `number` → an order's number, ...), then fetched once. A page added
later is found the same way; nothing here names a page.
"""

import re
from dataclasses import dataclass

from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver, reverse


@dataclass(frozen=True)
class Route:
    route: str  # "backoffice/orders/<str:number>/"
    name: str  # "backoffice:order_detail"
    pattern: URLPattern


def routes(prefix: str = "") -> list[Route]:
    """Every named URL pattern whose route starts with `prefix`."""

    def walk(entries, route="", namespace=""):
        for entry in entries:
            if isinstance(entry, URLResolver):
                ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
                yield from walk(entry.url_patterns, route + str(entry.pattern), ns)
            elif isinstance(entry, URLPattern) and entry.name:
                yield Route(route + str(entry.pattern), f"{namespace}{entry.name}", entry)

    return [r for r in walk(get_resolver().url_patterns) if r.route.startswith(prefix)]


def _words(text: str) -> set[str]:
    return {w for w in re.split(r"[^a-z]+", text.lower()) if len(w) > 3}


def _sample(param: str, context: str):
    """A value for a URL parameter from the rows in the database, or None. The model is
    the one the parameter and the view's name point at: `order_id` → Order; `slug` in
    `...views.category` → Category.slug; `number` in `...return_detail` → ReturnRequest."""
    stem = param.removesuffix("_id").replace("_", "")
    field = "pk" if param.endswith("_id") or param == "pk" else param
    words = _words(context)
    # Any model with the field will do when nothing points at one (score 0).
    best, best_score = None, -1
    for model in apps.get_models():
        name = model._meta.model_name
        if field != "pk" and field not in {f.name for f in model._meta.concrete_fields}:
            continue
        score = 0
        if field == "pk":
            score = 4 if name == stem else 2 if name.endswith(stem) else 0
            if not score:
                continue
        if name in words:
            score += 3
        elif any(w in name for w in words):
            score += 2
        if model._meta.app_label in context:
            score += 1
        if score > best_score and model._default_manager.exists():
            best, best_score = model, score
    if best is None:
        return None
    return best._default_manager.order_by("pk").values_list(field, flat=True).first()


def url_for(route: Route) -> str | None:
    """The route's URL with its parameters filled from the database; None when a
    parameter has no row to come from."""
    context = f"{route.route} {route.pattern.lookup_str}"
    kwargs = {}
    for param in route.pattern.pattern.converters:
        value = _sample(param, context)
        if value in (None, ""):
            return None
        kwargs[param] = value
    try:
        return reverse(route.name, kwargs=kwargs)
    except Exception:  # noqa: BLE001 - a value that does not fit the converter: no URL
        return None


def is_page(response) -> bool:
    """A whole HTML page (an htmx partial, a redirect, a PDF or a 405 is not)."""
    return (
        response.status_code == 200
        and response.get("Content-Type", "").startswith("text/html")
        and response.content[:200].lower().lstrip().startswith(b"<!doctype html")
    )


def pages(client, *, prefix: str, exclude: tuple[str, ...] = ()) -> list[str]:
    """The URLs under `prefix` (but not under `exclude`) that answer `client`'s GET with a
    whole page."""
    found = []
    for route in routes(prefix):
        if exclude and route.route.startswith(exclude):
            continue
        url = url_for(route)
        if url and url not in found and is_page(client.get(url)):
            found.append(url)
    return found
