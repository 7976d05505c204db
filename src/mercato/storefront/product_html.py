"""The product page's body and meta tags as HTML, written in Python.

An uncached product page (the long tail: a product seen a few times a day, or any page
after a price or stock change bumps the shop version) spent about 40 % of its CPU time in
the template language rendering `partials/product_body.html` and `partials/meta.html`:
some 130 nodes, 26 `{% translate %}` tags and their escaping. This writes the same markup
with string joins. The templates stay as the readable reference:
storefront/tests/test_product_html.py checks that both give the same HTML, byte for byte,
in both languages (with and without a province, a chosen SKU, images, reviews, questions).

`body_html` takes the context `views._build_product` builds for the template.
"""

import html

from django.core.signals import setting_changed
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import get_script_prefix, reverse
from django.utils.formats import localize
from django.utils.html import conditional_escape, json_script
from django.utils.translation import get_language, gettext, pgettext

from mercato.catalog.thumbs import thumb_url


def _e(value) -> str:
    """A value as `{{ value }}` writes it: localized, then escaped (what conditional_escape
    gives, without its lazy-string wrapper: about a hundred values a page)."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return html.escape(value if type(value) is str else str(localize(value)))


# The page's fixed words, translated and escaped once per language and process: gettext
# looks the language up in a context-local each time (25 of them a page).
_texts: dict[str, dict[tuple[str, str], str]] = {}


def _t(message: str, context: str = "") -> str:
    """`{% translate message %}` (`context`: `{% translate message context context %}`)."""
    language = get_language()
    found = _texts.get(language)
    if found is None:
        found = _texts[language] = {}
    text = found.get((message, context))
    if text is None:
        translated = pgettext(context, message) if context else gettext(message)
        text = found[(message, context)] = conditional_escape(translated)
    return text


_urls: dict[str, dict[str, str]] = {}


def _url(name: str) -> str:
    """`{% url name %}` of a route without arguments (or `{% static name %}` for a name with
    a dot), found once per script prefix and process."""
    found = _urls.setdefault(get_script_prefix(), {})
    url = found.get(name)
    if url is None:
        url = found[name] = conditional_escape(static(name) if "." in name else reverse(name))
    return url


def _forget(**kwargs) -> None:
    _texts.clear()  # a test changed the languages or the URLs
    _urls.clear()


setting_changed.connect(_forget, dispatch_uid="storefront-product-html")


def _crumbs_html(crumbs, current) -> str:
    """partials/crumbs.html."""
    links = "".join(f'<li><a href="{_e(url)}">{_e(name)}</a></li>' for name, url in crumbs)
    here = f'<li aria-current="page">{_e(current)}</li>' if current else ""
    label = _t("Breadcrumbs", "shop")
    return f'<nav class="crumbs" aria-label="{label}"><ol>\n  {links}\n  {here}\n</ol></nav>\n'


def _gallery_html(product, images) -> str:
    if not images:
        return f'<span class="noimg big" aria-hidden="true">{_e(product.name[:1])}</span>'
    first = images[0]
    main = (
        f'<img class="main" id="main-image" src="{_e(thumb_url(first.image, "large"))}" '
        f'alt="{_e(first.alt or product.name)}" width="{_e(first.width or 480)}" '
        f'height="{_e(first.height or 480)}">'
    )
    thumbs = ""
    if len(images) > 1:
        items = "".join(
            f'<li><a href="{_e(thumb_url(i.image, "large"))}" data-gallery>'
            f'<img src="{_e(thumb_url(i.image, "small"))}" alt="{_e(i.alt or product.name)}" '
            'width="64" height="64" loading="lazy"></a></li>'
            for i in images
        )
        thumbs = f'<ul class="thumbs">{items}</ul>'
    return f"{main}\n    {thumbs}\n    "


def _options_html(options) -> str:
    out = []
    for opt in options:
        name = _e(opt["name"])
        chips = "".join(
            f'<label class="chip{"" if v["available"] else " off"}"><input type="radio" '
            f'name="{name}" value="{_e(v["value"])}" {"checked" if v["checked"] else ""} '
            f"{'' if v['available'] else 'disabled'}><span>{_e(v['value'])}</span></label>"
            for v in opt["values"]
        )
        out.append(
            f'<fieldset class="spec"><legend>{name}</legend>\n        {chips}\n      </fieldset>'
        )
    return "".join(out)


def _spec_rows_html(product, options, selected) -> str:
    brand = ""
    if product.brand:
        brand = f"<tr><th>{_t('Brand')}</th><td>{_e(product.brand.name)}</td></tr>"
    specs = "".join(
        f"<tr><th>{_e(opt['name'])}</th><td>"
        + " / ".join(_e(v["value"]) for v in opt["values"])
        + "</td></tr>"
        for opt in options
    )
    weight = ""
    if selected is not None and selected.weight_g:
        weight = f"<tr><th>{_t('Weight')}</th><td>{_e(selected.weight_g)} g</td></tr>"
    return (
        f"    {brand}\n"
        f"    <tr><th>{_t('Product code')}</th><td>{_e(product.code)}</td></tr>\n"
        f"    {specs}\n"
        f"    {weight}\n"
    )


def _feedback_html(context) -> str:
    """partials/product_feedback.html: written here when the product has neither reviews nor
    questions (most products), else rendered by the template (their own partials)."""
    feedback, product = context["feedback"], context["product"]
    if feedback.review_count or feedback.questions:
        return render_to_string("storefront/partials/product_feedback.html", context)
    ask = _e(reverse("storefront:ask_question", args=[product.slug]))
    return (
        '\n<section class="block feedback" id="reviews" aria-labelledby="h-reviews">\n'
        f'  <h2 id="h-reviews">{_t("Customer reviews")}</h2>\n'
        "  <p class=\"muted\">"
        + _t("No reviews yet. Customers who received this product can review it from their "
             "order page.")
        + "</p>\n"
        "</section>\n"
        '<section class="block feedback" id="questions" aria-labelledby="h-questions">\n'
        f'  <h2 id="h-questions">{_t("Questions and answers")}</h2>\n'
        f'  <p class="muted">{_t("No questions yet.")}</p>\n'
        f'  <form class="form ask" method="post" action="{ask}">\n'
        '    <input type="hidden" name="csrfmiddlewaretoken" value="__csrf_token__">\n'
        f'    <div class="field"><label for="ask-text">{_t("Ask about this product")}</label>\n'
        '      <textarea id="ask-text" name="text" rows="3" minlength="4" maxlength="500" '
        "required></textarea></div>\n"
        '    <div class="field"><label for="ask-name">'
        f'{_t("Your name (if you are not logged in)")}</label>\n'
        '      <input id="ask-name" name="guest_name" maxlength="40" autocomplete="nickname">'
        "</div>\n"
        '    <p class="muted">'
        + _t("Questions and answers are shown once our staff has read them.")
        + "</p>\n"
        f'    <button type="submit" class="btn">{_t("Send the question")}</button>\n'
        "  </form>\n"
        "</section>\n"
    )  # fmt: skip


def body_html(context: dict) -> str:
    """partials/product_body.html for `context` (views._build_product's)."""
    product, selected = context["product"], context["selected"]
    images, options, available = context["images"], context["options"], context["available"]
    path, province = _e(context["path"]), context["province"]
    has_stock = selected is not None and selected.pk in available
    subtitle = f'<p class="muted">{_e(product.subtitle)}</p>' if product.subtitle else ""
    price = _e(selected.list_price if selected is not None else product.min_price)
    stock = (
        f'<span class="in">{_t("In stock")}</span>'
        if has_stock
        else f'<span class="out">{_t("Out of stock")}</span>'
    )
    if province:
        where = gettext("for delivery to %(province)s") % {"province": _e(province)}
    else:
        where = _t("in any warehouse; choose your province for your delivery")
    cart_add = _url("storefront:cart_add")
    description = ""
    if product.description:
        description = (
            f'<h2>{_t("Description")}</h2><div class="description">{product.description}</div>'
        )
    related = context["related"]
    related_block = ""
    if related:
        related_block = (
            f'<section class="block"><h2>{_t("You may also like")}</h2>\n'
            f'  <ul class="cards">{related}</ul>\n</section>'
        )
    return (
        "\n"
        + _crumbs_html(context["crumbs"], product.name)
        + '\n<article class="product">\n  <div class="gallery">\n    '
        + _gallery_html(product, images)
        + "\n  </div>\n"
        '  <div class="buy">\n'
        f"    <h1>{_e(product.name)}</h1>\n"
        f"    {subtitle}\n"
        f'    <p class="price big" id="sku-price">¥{price}</p>\n'
        f'    <form class="province" action="{_url("storefront:province")}" method="get">\n'
        f'      <input type="hidden" name="next" value="{path}">\n'
        f'      <label>{_t("Deliver to")}\n'
        '        <select name="province" data-autosubmit>\n'
        f'          <option value="">{_t("Choose your province")}</option>\n'
        f"          {context['province_options']}\n"
        "        </select></label>\n"
        f'      <button>{_t("Change")}</button>\n'
        "    </form>\n"
        f'    <form class="sku-form" id="sku-form" action="{path}" method="get">\n'
        f"      {_options_html(options)}\n"
        '      <input type="hidden" name="sku" id="sku-id" '
        f'value="{_e(selected.pk) if selected is not None else ""}">\n'
        f'      <p class="stock" id="sku-stock" data-in="{_t("In stock")}" '
        f'data-out="{_t("Out of stock")}" data-none="{_t("This combination does not exist")}">\n'
        f"        {stock}\n"
        f"        <small>{where}</small>\n"
        "      </p>\n"
        f'      <p class="sku-code muted">{_t("Item no.")} <span id="sku-code">'
        f'{_e(selected.code) if selected is not None else ""}</span></p>\n'
        "      \n"
        '      <input type="hidden" name="csrfmiddlewaretoken" value="__csrf_token__">\n'
        f'      <input type="hidden" name="next" value="{path}">\n'
        f'      <p class="qty-field"><label for="add-quantity">{_t("Quantity")}</label> '
        '<input type="number" id="add-quantity" name="quantity" value="1" min="1" '
        'inputmode="numeric"></p>\n'
        f'      <button type="submit" class="add-to-cart" formaction="{cart_add}" '
        f'formmethod="post" hx-post="{cart_add}" hx-target="#cart-added" hx-swap="innerHTML" '
        f'{"" if has_stock else "disabled"}>{_t("Add to cart")}</button>\n'
        '      <p id="cart-added" role="status" aria-live="polite" data-swap-errors></p>\n'
        "    </form>\n"
        f"    {json_script(context['sku_map'], 'sku-data')}\n"
        "  </div>\n"
        "</article>\n"
        '<section class="details">\n'
        f'  <h2>{_t("Specifications")}</h2>\n'
        '  <table class="spec-table"><tbody>\n'
        + _spec_rows_html(product, options, selected)
        + "  </tbody></table>\n"
        f"  {description}\n"
        "</section>\n"
        + _feedback_html(context)
        + f"\n{related_block}\n"
        f'<script src="{_url("storefront/product.js")}" defer></script>\n'
    )  # fmt: skip


def meta_html(m: dict) -> str:
    """partials/meta.html for the meta dict `m` (seo's)."""
    keywords = f'<meta name="keywords" content="{_e(m["keywords"])}">' if m.get("keywords") else ""
    noindex = '<meta name="robots" content="noindex,follow">' if m.get("noindex") else ""
    image = f'<meta property="og:image" content="{_e(m["image"])}">' if m.get("image") else ""
    blocks = "".join(
        f'<script type="application/ld+json">{block}</script>\n' for block in m.get("json_ld", ())
    )
    canonical, description = _e(m.get("canonical", "")), _e(m.get("description", ""))
    return (
        f'<meta name="description" content="{description}">\n'
        f"{keywords}\n"
        f'<link rel="canonical" href="{canonical}">\n'
        f"{noindex}\n"
        '<meta property="og:site_name" content="Mercato">\n'
        f'<meta property="og:type" content="{_e(m.get("og_type") or "website")}">\n'
        f'<meta property="og:title" content="{_e(m.get("title", ""))}">\n'
        f'<meta property="og:description" content="{description}">\n'
        f'<meta property="og:url" content="{canonical}">\n'
        f"{image}\n"
        f"{blocks}\n"
    )
