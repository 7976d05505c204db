"""Shop pages: home, category, product, province and language choice; robots.txt; 404.

Each page's body is built by a `_build_*` function and cached (pagecache.py); the view
around it renders the header per request for a visitor with a session (log-in state, a
log-out form), and puts it in the page's frame, made once per process, for a visitor
without one.
"""

from functools import lru_cache
from urllib.parse import quote, unquote, urlencode

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import prefetch_related_objects
from django.http import Http404, HttpResponse, HttpResponsePermanentRedirect, HttpResponseRedirect
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.html import conditional_escape
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from mercato.catalog import selectors
from mercato.catalog.facets import SORTS, facets_for, filter_products, parse_params, sort_products
from mercato.catalog.models import Product
from mercato.catalog.services.merchandising import live_slots
from mercato.core.regions import mainland_provinces
from mercato.promotions import selectors as promotion_selectors
from mercato.reviews.selectors import feedback_of

from . import pagecache, product_html, seo
from .cards import rows_html
from .markup import product_url_maker, slug_url_maker
from .page_data import product_page_data
from .pagecache import cached

PAGE_SIZE = 24
PROVINCE_COOKIE = "province"
PROVINCE_COOKIE_AGE = 365 * 24 * 3600
SLUG_LENGTH = Product._meta.get_field("slug").max_length


def _province(request) -> str:
    # Cookie values are ASCII: the name is stored percent-encoded.
    value = unquote(request.COOKIES.get(PROVINCE_COOKIE, ""))
    return value if value in mainland_provinces() else ""


def _page(request, template: str, data: dict, status: int = 200):
    return render(
        request,
        template,
        {**data, "province": _province(request), "provinces": mainland_provinces()},
        status=status,
    )


def _shop_page(request, parts: tuple, build, document_key: str = ""):
    """A shop page (storefront/page.html around a cached body). `build()` gives the body's
    dict; a "status" of 404 or 410 or a "redirect" in it answers so instead. With a
    `document_key`, `build(document or None)` gives (the dict, a document to keep or None)
    (pagecache.cached_with_document)."""
    province = _province(request)
    if document_key:
        data = pagecache.cached_with_document(request, (*parts, province), document_key, build)
    else:
        data = cached(request, (*parts, province), build)
    if "redirect" in data:
        return HttpResponsePermanentRedirect(data["redirect"])
    if data.get("status") == 410:
        return _page(request, "storefront/410.html", {}, status=410)
    if data.get("status") == 404:
        raise Http404(data.get("reason", ""))
    context = {**data, "province": province, "provinces": mainland_provinces()}
    return pagecache.page_response(request, pagecache.shop_page_html(request, context))


# Home -----------------------------------------------------------------------------------
def _build_home(request) -> dict:
    slots = list(live_slots())
    banners = [s for s in slots if s.kind == "banner"]
    featured = [s.product for s in slots if s.kind == "featured" and s.product.status == "on_sale"]
    blocks = []
    for slot in (s for s in slots if s.kind == "category" and s.category.is_active):
        products = list(selectors.home_block_products(category=slot.category))
        blocks.append({"slot": slot, "category": slot.category, "products": products})
    cards = featured + [p for b in blocks for p in b["products"]]
    prefetch_related_objects(cards, selectors.first_images())
    context = {
        "banners": banners,
        "featured": featured,
        "blocks": blocks,
        "top_categories": list(selectors.top_categories()),
        "flash_sales": list(promotion_selectors.flash_sales_to_show()),
    }
    meta = {
        "title": _("%(site)s - online shop") % {"site": seo.site_name()},
        "description": _("Phones, home appliances, clothing, food and more, delivered nationwide."),
        "canonical": request.build_absolute_uri("/"),
        "json_ld": [seo.to_json_ld(seo.organization_ld(request))],
    }
    return {
        "meta": seo.meta_html(meta),
        "title": meta["title"],
        "body": render_to_string("storefront/partials/home_body.html", context),
    }


@require_GET
def home(request):
    # The minute is in the key so a slot's schedule start or end shows within a minute.
    minute = timezone.now().strftime("%Y%m%d%H%M")
    return _shop_page(request, ("home", minute), lambda: _build_home(request))


# Category -------------------------------------------------------------------------------
def _page_number(request) -> int:
    raw = request.GET.get("page", "1")
    return int(raw) if raw.isdigit() and len(raw) < 7 else 1


def _build_category(request, category) -> dict:
    params = request.GET
    base = selectors.products_in_category(category=category)
    products = sort_products(products=filter_products(products=base, params=params), params=params)
    paginator = Paginator(products.order_by(*products.query.order_by), PAGE_SIZE)
    page = paginator.get_page(_page_number(request))  # out of range → the last page
    cards = list(selectors.product_cards(page.object_list))
    trail = selectors.category_trail(category=category)
    sel = parse_params(params)
    keep = [(k, v) for k in params for v in params.getlist(k) if k != "page"]
    path = reverse("storefront:category", args=[category.slug])
    context = {
        "category": category,
        "trail": trail,
        "children": selectors.child_categories(category=category),
        "facets": facets_for(products=base, params=params),
        "page": page,
        "cards": cards,
        "sorts": [
            (key, label, _querystring(keep, sort=key), key == sel.sort)
            for key, label in SORTS.items()
        ],
        "filtered": sel.active,
        "clear_url": path + (f"?sort={sel.sort}" if sel.sort else ""),
        "path": path,
        "prev_qs": _querystring(keep, page=page.previous_page_number())
        if page.has_previous()
        else "",
        "next_qs": _querystring(keep, page=page.next_page_number()) if page.has_next() else "",
    }
    meta = seo.category_meta(category, trail)
    canonical = request.build_absolute_uri(path)
    if page.number > 1 and not sel.active:
        canonical += f"?page={page.number}"
    meta.update(
        canonical=canonical,
        # Filtered and sorted variants are for people; search engines index the plain list.
        noindex=sel.active or bool(sel.sort),
        json_ld=[seo.to_json_ld(seo.breadcrumb_ld(request, _crumbs(trail)))],
        og_type="website",
    )
    results = render_to_string("storefront/partials/category_results.html", context)
    context["results"] = results
    return {
        "meta": seo.meta_html(meta),
        "title": meta["title"],
        "results": results,
        "body": render_to_string("storefront/partials/category_body.html", context),
    }


def _querystring(pairs, **override) -> str:
    pairs = [(k, v) for k, v in pairs if k not in override]
    pairs += [(k, v) for k, v in override.items() if v not in ("", None)]
    return urlencode(pairs)


def _crumbs(trail) -> list[tuple[str, str]]:
    url = slug_url_maker("storefront:category")
    return [(_("Home"), "/")] + [(c.name, url(c.slug)) for c in trail]


@require_GET
def category(request, slug: str):
    query = "&".join(sorted(f"{k}={v}" for k in request.GET for v in request.GET.getlist(k)))

    def build():
        found = selectors.active_category(slug=slug)
        if found is None:
            return {"status": 404, "reason": _("No such category")}
        return _build_category(request, found)

    if request.htmx:
        data = cached(request, ("category", slug, query, _province(request)), build)
        if data.get("status") == 404:
            raise Http404(data["reason"])
        response = HttpResponse(data["results"])
    else:
        response = _shop_page(request, ("category", slug, query), build)
    patch_vary_headers(response, ("HX-Request",))
    return response


# Product --------------------------------------------------------------------------------
def _spec_options(skus, available: set[int], selected) -> list[dict]:
    """[{name, values: [{value, available, checked}]}] in the order of the SKUs' spec keys.

    A value is available when some SKU with it has stock; the script narrows this further
    to combinations with the other chosen values (static/storefront/product.js).
    """
    names: dict[str, dict[str, bool]] = {}
    for sku in skus:
        for name, value in sku.specs.items():
            values = names.setdefault(name, {})
            values[str(value)] = values.get(str(value), False) or sku.pk in available
    chosen = {k: str(v) for k, v in selected.specs.items()} if selected else {}
    return [
        {
            "name": n,
            "values": [
                {"value": v, "available": a, "checked": chosen.get(n) == v} for v, a in vals.items()
            ],
        }
        for n, vals in names.items()
    ]


@lru_cache(maxsize=64)
def _province_options(province: str) -> SafeString:
    """The province choice's <option>s, `province` selected: the same for every product page,
    and 31 rounds of a template loop were a tenth of its template time."""
    options = (
        f'<option value="{e}" {"selected" if p == province else ""}>{e}</option>'
        for p, e in ((p, conditional_escape(p)) for p in mainland_provinces())
    )
    return mark_safe("".join(options))  # noqa: S308 - the names escaped


def _fixed_parts(request, product, trail, images) -> dict:
    """What the product page shows that no stock state changes, but for the product's own
    prices and rating (read with its SKUs), as written: kept in the product's document
    (page_data) with the row it is made from, under the content version, which every
    other bump moves, so a page made with the document reads and writes none of it again.
    The related products' cards are among it: they show no stock state, and their names,
    prices, images and sales order move the content version (catalog.shopcache). The
    document is kept per language, like the page (the crumbs' label, the title)."""
    path = product_url_maker()(product.slug)
    crumbs = _crumbs(trail)
    return {
        "path": path,
        "canonical": request.build_absolute_uri(path),
        "image_uris": [request.build_absolute_uri(i.image.url) for i in images],
        "crumbs": crumbs,
        "crumbs_html": product_html.crumbs_html(crumbs, product.name),
        "gallery_html": product_html.gallery_html(product, images),
        "meta": seo.product_meta(product, trail),
        "breadcrumb_ld": seo.to_json_ld(
            seo.breadcrumb_ld(request, [*crumbs, (product.name, path)])
        ),
        "related": rows_html(
            selectors.related_card_rows(product_id=product.pk, category_id=product.category_id)
        ),
    }


def product_page_parts(
    request, slug: str, province: str, chosen: str, document: dict | None = None
) -> dict:
    """The product page's parts: {"status": 200, "context": the body's, "meta": the meta
    tags', "document": what to keep of the product (page_data; None: `document` was
    used)}, or the 404, 410 or redirect `_shop_page` answers with."""
    found = product_page_data(slug=slug, province=province, document=document)
    if found is None:
        if selectors.is_removed(slug=slug):
            return {"status": 410}
        moved = selectors.moved_product_slug(slug=slug)
        if moved:
            return {"redirect": reverse("storefront:product", args=[moved])}
        return {"status": 404, "reason": _("No such product")}
    data, keep = found
    page, available = data.page, data.available
    product, skus = page.product, page.skus
    if keep is None:  # the kept document's (page_data: no trail or images read)
        fixed = document["fixed"]
    else:
        fixed = keep["fixed"] = _fixed_parts(request, product, data.trail, page.images)
    path, canonical, image_uris = fixed["path"], fixed["canonical"], fixed["image_uris"]
    selected = next((s for s in skus if str(s.pk) == chosen), None) or next(
        (s for s in skus if s.pk in available), skus[0] if skus else None
    )
    # Newest reviews and questions: two queries for each kind the rating row counts.
    feedback = feedback_of(product_id=product.pk, rating=data.rating)
    sku_map = [
        {
            "id": s.pk,
            "code": s.code,
            "specs": {k: str(v) for k, v in s.specs.items()},
            "price": str(s.list_price),
            "available": s.pk in available,
        }
        for s in skus
    ]
    context = {
        "product": product,
        "trail": data.trail,
        "crumbs": fixed["crumbs"],
        "crumbs_html": fixed["crumbs_html"],
        "images": page.images,
        "gallery_html": fixed["gallery_html"],
        "skus": skus,
        "selected": selected,
        "available": available,
        "in_stock": bool(available),
        "options": _spec_options(skus, available, selected),
        "sku_map": sku_map,
        "province": province,
        "province_options": _province_options(province),
        "related": fixed["related"],
        "path": path,
        "feedback": feedback,
    }
    meta = {
        **fixed["meta"],
        "canonical": canonical,
        "og_type": "product",
        "image": image_uris[0] if image_uris else "",
        "json_ld": [
            seo.to_json_ld(
                seo.add_rating(
                    seo.product_ld(
                        product=product,
                        skus=skus,
                        available_ids=available,
                        image_uris=image_uris,
                        canonical=canonical,
                    ),
                    feedback,
                )
            ),
            fixed["breadcrumb_ld"],
        ],
    }
    return {"status": 200, "context": context, "meta": meta, "document": keep}


def _build_product(
    request, slug: str, province: str, chosen: str, document: dict | None
) -> tuple[dict, dict | None]:
    parts = product_page_parts(request, slug, province, chosen, document)
    if parts.get("status") != 200:
        return parts, None
    # Written in Python (product_html, seo.meta_html), as the templates
    # partials/product_body.html and partials/meta.html would render them: the template
    # language was 40 % of the CPU time.
    page = {
        "status": 200,
        "meta": seo.meta_html(parts["meta"]),
        "title": parts["meta"]["title"],
        "body": product_html.body_html(parts["context"]),
    }
    return page, parts["document"]


@require_GET
def product(request, slug: str):
    province = _province(request)
    chosen = request.GET.get("sku", "")[:12]
    # The cached page serves every visitor; the add-to-cart form gets each one's CSRF token.
    # What the page shows but the product's prices, stock and rating is kept under the
    # content version, which a stock-state bump leaves (page_data). A slug longer than any
    # product's has no document (nor a key too long for a cache).
    parts = ("product", slug, chosen)
    if len(slug) > SLUG_LENGTH:
        return _shop_page(
            request, parts, lambda: _build_product(request, slug, province, chosen, None)[0]
        )
    return _shop_page(
        request,
        parts,
        lambda document: _build_product(request, slug, province, chosen, document),
        document_key=f"pdoc:{pagecache.content_version(request)}:{get_language()}:{slug}",
    )


# Province, cart placeholder, robots ---------------------------------------------------------
@require_GET
def choose_province(request):
    """Remember the customer's province in a cookie, then go back (a preference, no data)."""
    province = request.GET.get("province", "")
    target = request.GET.get("next", "/")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    response = HttpResponseRedirect(target)
    if province in mainland_provinces():
        response.set_cookie(
            PROVINCE_COOKIE,
            quote(province),
            max_age=PROVINCE_COOKIE_AGE,
            samesite="Lax",
            httponly=True,
        )
    elif province == "":
        response.delete_cookie(PROVINCE_COOKIE)
    return response


@require_GET
def choose_language(request):
    """Switch the shop's language (the cookie that ChosenLanguageMiddleware reads), then go
    back. A preference like the province, so the header's switch is a GET form: the shop's
    pages, cached whole for visitors without a session, carry no CSRF token for it."""
    language = request.GET.get("language", "")
    target = request.GET.get("next", "/")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    response = HttpResponseRedirect(target)
    if language in dict(settings.LANGUAGES):
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
    return response


@require_GET
def robots_txt(request):
    lines = [
        "User-agent: *",
        "Disallow: /backoffice/",
        "Disallow: /admin/",
        "Disallow: /api/",
        "Disallow: /account/",
        "Disallow: /search/",
        "Disallow: /province/",
        "Allow: /",
        f"Sitemap: {request.build_absolute_uri(reverse('storefront:sitemap_index'))}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


def page_not_found(request, exception=None):
    """404 with the shop's look and a way on (handler404)."""
    return _page(request, "storefront/404.html", {}, status=404)
