"""Cart pages: the cart, adding from the product page, and the header's mini-cart.

Every change is a plain form POST answered by a redirect, so the cart works without
JavaScript. htmx posts the same forms and gets the cart body back, with the header's
mini-cart swapped out of band. Bad input answers 400 with the problem named and nothing
changed; a line of another cart is a 404.
"""

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.db.models import prefetch_related_objects
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from mercato.cart import services
from mercato.cart.models import CartLine
from mercato.cart.selectors import cart_summary
from mercato.catalog.models import Sku
from mercato.catalog.selectors import first_images
from mercato.checkout.gifts import gifts_to_show
from mercato.checkout.placement import shopper_for
from mercato.core.errors import DomainError, NotFound
from mercato.customers.models import Customer
from mercato.promotions import engine as promotion_engine
from mercato.promotions.gifts import gifts_for
from mercato.promotions.selectors import category_paths, running_offers

from .cartctx import cart_for_request

MINI_LINES = 3  # lines listed in the header's drop-down


# Reading --------------------------------------------------------------------------------
def _summary(cart, *, images: bool = True):
    """The cart re-checked against current prices and stock, with each product's images
    (the header's drop-down shows none)."""
    if cart is None:
        return None
    summary = cart_summary(cart=cart)
    if images:
        prefetch_related_objects([v.line.sku.product for v in summary.lines], first_images())
    return summary


def _checkout_url() -> str:
    # The checkout pages are built alongside; until their URL exists the button waits.
    try:
        return reverse("storefront:checkout")
    except NoReverseMatch:
        return ""


def _promotions(summary) -> dict:
    """The promotions the selected lines get now (promotions.engine, as checkout will
    apply them, shipping aside) and the next 满减 tier: 还差 ¥23 可减 50. No query when the
    running promotions are cached and none needs the customer's history."""
    lines = [v for v in summary.lines if v.line.selected and v.on_sale] if summary else []
    if not lines:
        return {}
    offers = running_offers(channel="web")
    if not offers:
        return {}
    products = [v.line.sku.product for v in lines]
    paths = category_paths(offers=offers, category_ids=[p.category_id for p in products])
    engine_lines = [
        promotion_engine.Line(
            sku_id=v.line.sku_id,
            product_id=product.pk,
            unit_price=v.unit_price,
            quantity=v.line.quantity,
            category_path=paths.get(product.category_id, ""),
            brand_id=product.brand_id,
        )
        for v, product in zip(lines, products, strict=True)
    ]
    customer_id = summary.cart.customer_id
    tier_code = ""
    if customer_id and any(o.target == promotion_engine.TIER for o in offers):
        # Tier-only promotions run: the member's tier (one query, only then).
        tier_code = Customer.objects.filter(pk=customer_id).values_list("tier", flat=True)[0]
    shopper = shopper_for(
        customer_id=customer_id, channel="web", province="", offers=offers, tier_code=tier_code
    )
    pricing = promotion_engine.price(lines=engine_lines, offers=offers, shopper=shopper)
    hint = promotion_engine.next_tier_hint(
        lines=engine_lines, offers=offers, shopper=shopper, pricing=pricing
    )
    return {
        "gifts": gifts_to_show(
            gifts_for(lines=engine_lines, offers=offers, shopper=shopper, pricing=pricing)
        ),
        "promotions": [a for a in pricing.applied if a.discount],
        "promotion_total": pricing.total if pricing.discount_total else None,
        "tier_hint": hint,
    }


def _body_context(summary, error: str = "") -> dict:
    lines = summary.lines if summary else []
    return {
        **_promotions(summary),
        "summary": summary,
        "lines": lines,
        "all_selected": bool(lines) and all(v.line.selected for v in lines),
        "price_changes": [v for v in lines if v.price_changed],
        "off_shelf": [v for v in lines if not v.on_sale],
        "short": [v for v in lines if v.on_sale and v.insufficient],
        "checkout_url": _checkout_url(),
        "max_quantity": getattr(settings, "MERCATO_CART_MAX_QUANTITY", 99),
        "error": error,
    }


def _mini_context(summary) -> dict:
    lines = summary.lines if summary else []
    return {
        "count": sum(v.line.quantity for v in lines),
        "recent": sorted(lines, key=lambda v: v.line.added_at, reverse=True)[:MINI_LINES],
        "more": max(len(lines) - MINI_LINES, 0),
        "total": summary.total if summary else None,
    }


def _cart_page(request, *, error: str = "", status: int = 200):
    summary = _summary(cart_for_request(request))
    context = {**_body_context(summary, error), "mini": _mini_context(summary)}
    return render(request, "storefront/cart/page.html", context, status=status)


@never_cache
@require_GET
def cart(request):
    return _cart_page(request)


@never_cache
@require_GET
def mini_cart(request):
    """The header's cart count and drop-down; the shop's cached pages load it with htmx."""
    summary = _summary(cart_for_request(request), images=False)
    return render(request, "storefront/cart/_mini.html", {"mini": _mini_context(summary)})


# Changing -------------------------------------------------------------------------------
def _answer(request, *, error: str = ""):
    """The answer to a cart change: the cart body (htmx) or the cart page."""
    status = 400 if error else 200
    if not request.htmx:
        if error:
            return _cart_page(request, error=error, status=status)
        return redirect("storefront:cart")
    summary = _summary(cart_for_request(request))
    context = {**_body_context(summary, error), "mini": _mini_context(summary), "oob": True}
    return render(request, "storefront/cart/_changed.html", context, status=status)


def _change(request, line_id: int, change):
    """Run `change(cart)` on a line of the request's cart; another cart's line is a 404."""
    cart = cart_for_request(request)
    # Checked first, so a bad value sent for someone else's line says nothing about it.
    item = (
        CartLine.objects.filter(cart=cart, pk=line_id)
        .values_list("sku__product__name", flat=True)
        .first()
        if cart is not None
        else None
    )
    if item is None:
        raise Http404(_("This line is not in the cart."))
    try:
        change(cart)
    except NotFound as exc:
        raise Http404(exc.message) from None
    except DomainError as exc:
        # The service's message, prefixed with the item it is about.
        error = _("%(item)s: %(problem)s") % {"item": item, "problem": exc.message}
        return _answer(request, error=error)
    return _answer(request)


@require_POST
def change_quantity(request, line_id: int):
    quantity = request.POST.get("quantity", "")
    return _change(
        request,
        line_id,
        lambda cart: services.change_quantity(cart=cart, line_id=line_id, quantity=quantity),
    )


@require_POST
def remove_line(request, line_id: int):
    return _change(request, line_id, lambda cart: services.remove_line(cart=cart, line_id=line_id))


def _selected(request) -> bool:
    return request.POST.get("selected") == "1"


@require_POST
def select_line(request, line_id: int):
    """Tick or untick one line for checkout (selected=1 or 0)."""

    def select(cart):
        if not services.select_lines(cart=cart, line_ids=[line_id], selected=_selected(request)):
            raise NotFound(_("This line is not in the cart."), field="line")

    return _change(request, line_id, select)


@require_POST
def select_all(request):
    cart = cart_for_request(request)
    if cart is not None:
        ids = list(cart.lines.values_list("pk", flat=True))
        services.select_lines(cart=cart, line_ids=ids, selected=_selected(request))
    return _answer(request)


@require_POST
def acknowledge(request):
    """ "Got it": the customer saw the new prices; the price notices go away."""
    cart = cart_for_request(request)
    if cart is not None:
        services.acknowledge_prices(cart=cart)
    return _answer(request)


# Adding from the product page -----------------------------------------------------------
def _chosen_sku(data) -> tuple[str, dict | None]:
    """The SKU the shopper chose: the spec values sent with the form when they name one SKU of
    the product (without JavaScript the hidden `sku` field is the one the page opened with),
    else the `sku` field; with cart.services.read_sku's row of it when that is the one read
    (the `sku` field's SKU), which the add then does not read again."""
    raw = str(data.get("sku", "")).strip()
    if not raw.isdigit() or len(raw) > 18:
        return raw, None
    sku = services.read_sku(raw)
    if sku is None or not sku["specs"]:
        return raw, sku
    names = list(sku["specs"])
    chosen = {name: data.get(name) for name in names}
    if None in chosen.values():
        return raw, sku
    for pk, specs in Sku.objects.filter(product_id=sku["product_id"]).values_list("pk", "specs"):
        if all(str(specs.get(n)) == chosen[n] for n in names):
            return str(pk), sku if str(pk) == raw else None
    raise DomainError(_("This combination of options does not exist."), field="sku")


def _back(request, sku_id: str) -> str:
    """Where a plain form goes after adding: the product page it came from."""
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return reverse("storefront:cart")
    return f"{target}?sku={sku_id}" if sku_id.isdigit() else target


@require_POST
def add(request):
    """Put the chosen SKU in the cart: `sku` (or spec values), `quantity` (default 1)."""
    sku_id, error = str(request.POST.get("sku", "")), ""
    try:
        sku_id, sku_row = _chosen_sku(request.POST)
        quantity = request.POST.get("quantity", "1")
        if request.session.session_key is None:
            # A new guest (a member always has a session): the session, the cart and its
            # first line written together, the session once the add is accepted.
            services.start_guest_cart(
                create_session=request.session.create_with,
                sku_id=sku_id,
                quantity=quantity,
                sku_row=sku_row,
            )
        else:
            # A guest's first add creates the cart; a refused add leaves no empty cart behind.
            with transaction.atomic():
                cart = cart_for_request(request, create=True)
                services.add_to_cart(cart=cart, sku_id=sku_id, quantity=quantity, sku_row=sku_row)
    except DomainError as exc:
        error = exc.message
    if not request.htmx:
        if error:
            messages.error(request, error)
        else:
            messages.success(request, _("Added to your cart."))
        # A URL, not a view name: redirect() would try it with reverse() first (an
        # exception raised and caught on every add, and a 500 for a `next` without "/").
        return HttpResponseRedirect(_back(request, sku_id))
    summary = _summary(cart_for_request(request), images=False) if not error else None
    context = {"error": error, "mini": _mini_context(summary), "oob": not error}
    return render(request, "storefront/cart/_added.html", context, status=400 if error else 200)
