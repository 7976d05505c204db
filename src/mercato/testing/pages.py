"""Every page of the site, from the URL configuration (issue 18's accessibility walk).

`pages(client, prefix=...)` lists the URLs under a prefix that answer a GET from the given
client with a whole HTML page: each URL pattern is reversed with its parameters filled
from the rows in the database (`product_id` → a product, `slug` under a category view →
a category's slug, `number` → an order's number, ...), then fetched once. A page added
later is found the same way; nothing here names a page. `survey(...)` also answers the
routes that could not be reached for want of a row (no value for a parameter, or a 404).
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


def _sample(param: str, context: str, limit: int = 1) -> list:
    """Values for a URL parameter from the rows in the database (none when no row fits):
    the first row of the model the parameter and the view's name point at (`order_id` →
    Order; `slug` in `...views.category` → Category.slug; `number` in `...return_detail` →
    ReturnRequest). With `limit` > 1, up to `limit` rows of that model, then of the models
    that point less well, best first (`number` in `...review_detail`: Payment, Order...)."""
    stem = param.removesuffix("_id").replace("_", "")
    field = "pk" if param.endswith("_id") or param == "pk" else param
    words = _words(context)
    # Any model with the field will do when nothing points at one (score 0).
    ranked = []
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
        ranked.append((score, model))
    # Best first; among equals, the first in app order (a stable sort).
    ranked.sort(key=lambda pair: -pair[0])
    found = []
    for _, model in ranked:
        values = model._default_manager.order_by("pk").values_list(field, flat=True)[:limit]
        found += [v for v in values if v not in (None, "")]
        if found and limit == 1:
            return found[:1]
    return found


def urls_for(route: Route, limit: int = 1) -> list[str]:
    """The route's URL with its parameters filled from the database: one per row of the
    first parameter's model (up to `limit`), the other parameters from their first row;
    none when a parameter has no row to come from."""
    context = f"{route.route} {route.pattern.lookup_str}"
    params = list(route.pattern.pattern.converters)
    values = {
        param: _sample(param, context, limit if n == 0 else 1) for n, param in enumerate(params)
    }
    if any(not v for v in values.values()):
        return []
    urls = []
    for first in values[params[0]] if params else [None]:
        kwargs = {p: v[0] for p, v in values.items()} | ({params[0]: first} if params else {})
        try:
            urls.append(reverse(route.name, kwargs=kwargs))
        except Exception:  # noqa: BLE001, S112 - a value that does not fit the converter
            continue
    return urls


def url_for(route: Route) -> str | None:
    """The route's URL with its parameters filled from the database's first rows; None
    when a parameter has no row to come from."""
    return next(iter(urls_for(route)), None)


def is_page(response) -> bool:
    """A whole HTML page (an htmx partial, a redirect, a PDF or a 405 is not)."""
    return (
        response.status_code == 200
        and response.get("Content-Type", "").startswith("text/html")
        and response.content[:200].lower().lstrip().startswith(b"<!doctype html")
    )


TRIES = 50  # rows tried for a route before it counts as unreached


@dataclass
class Survey:
    pages: list[str]  # URLs that answered with a whole page
    unreached: list[Route]  # routes with no row to fill them, or whose URL answered 404


def survey(client, *, prefix: str, exclude: tuple[str, ...] = (), may_open=None) -> Survey:
    """Every route under `prefix` (but not under `exclude`) fetched by `client`: the whole
    pages, and the routes `may_open(route)` says the client may open that could not be
    reached for want of data (a walk that skips them checks less than it claims). A route
    whose first row answers 404 (a review page for an order not under review) is tried
    with the next rows, up to TRIES."""
    found, unreached = [], []
    for route in routes(prefix):
        if exclude and route.route.startswith(exclude):
            continue
        response = None
        for url in urls_for(route, TRIES):
            response = client.get(url)
            if response.status_code != 404:
                break
        if response is None or response.status_code == 404:
            if may_open and may_open(route):
                unreached.append(route)
            continue
        if url not in found and is_page(response):
            found.append(url)
    return Survey(found, unreached)


def pages(client, *, prefix: str, exclude: tuple[str, ...] = ()) -> list[str]:
    """The URLs under `prefix` (but not under `exclude`) that answer `client`'s GET with a
    whole page."""
    return survey(client, prefix=prefix, exclude=exclude).pages
