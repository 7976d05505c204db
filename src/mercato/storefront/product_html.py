"""The product page's body as HTML, written in Python (its meta tags: seo.meta_html).

An uncached product page (the long tail: a product seen a few times a day, or any page
after a price or stock change bumps the shop version) spent about 40 % of its CPU time in
the template language rendering `partials/product_body.html` and `partials/meta.html`:
some 130 nodes, 26 `{% translate %}` tags and their escaping. This writes the same markup
with string joins (shared helpers: storefront.markup). The templates stay as the readable
reference:
storefront/tests/test_product_html.py checks that both give the same HTML, byte for byte,
in both languages (with and without a province, a chosen SKU, images, reviews, questions).

`body_html` takes the context `views._build_product` builds for the template, with the
crumbs and the gallery written (crumbs_html, gallery_html: kept in the product's
document, views._fixed_parts).
"""

from django.template.loader import render_to_string
from django.utils.html import json_script
from django.utils.translation import gettext

from mercato.catalog.thumbs import thumb_url

from .markup import e, slug_url_maker, words
from .markup import url as route_url


def crumbs_html(crumbs, current) -> str:
    """partials/crumbs.html."""
    word = words()  # the language looked up once
    links = "".join(f'<li><a href="{e(url)}">{e(name)}</a></li>' for name, url in crumbs)
    here = f'<li aria-current="page">{e(current)}</li>' if current else ""
    label = word("Breadcrumbs", "shop")
    return f'<nav class="crumbs" aria-label="{label}"><ol>\n  {links}\n  {here}\n</ol></nav>\n'


def gallery_html(product, images) -> str:
    if not images:
        return f'<span class="noimg big" aria-hidden="true">{e(product.name[:1])}</span>'
    first = images[0]
    main = (
        f'<img class="main" id="main-image" src="{e(thumb_url(first.image, "large"))}" '
        f'alt="{e(first.alt or product.name)}" width="{e(first.width or 480)}" '
        f'height="{e(first.height or 480)}">'
    )
    thumbs = ""
    if len(images) > 1:
        items = "".join(
            f'<li><a href="{e(thumb_url(i.image, "large"))}" data-gallery>'
            f'<img src="{e(thumb_url(i.image, "small"))}" alt="{e(i.alt or product.name)}" '
            'width="64" height="64" loading="lazy"></a></li>'
            for i in images
        )
        thumbs = f'<ul class="thumbs">{items}</ul>'
    return f"{main}\n    {thumbs}\n    "


def _options_html(options) -> str:
    out = []
    for opt in options:
        name = e(opt["name"])
        chips = "".join(
            f'<label class="chip{"" if v["available"] else " off"}"><input type="radio" '
            f'name="{name}" value="{e(v["value"])}" {"checked" if v["checked"] else ""} '
            f"{'' if v['available'] else 'disabled'}><span>{e(v['value'])}</span></label>"
            for v in opt["values"]
        )
        out.append(
            f'<fieldset class="spec"><legend>{name}</legend>\n        {chips}\n      </fieldset>'
        )
    return "".join(out)


def _spec_rows_html(product, options, selected) -> str:
    word = words()  # the language looked up once
    brand = ""
    if product.brand:
        brand = f"<tr><th>{word('Brand')}</th><td>{e(product.brand.name)}</td></tr>"
    specs = "".join(
        f"<tr><th>{e(opt['name'])}</th><td>"
        + " / ".join(e(v["value"]) for v in opt["values"])
        + "</td></tr>"
        for opt in options
    )
    weight = ""
    if selected is not None and selected.weight_g:
        weight = f"<tr><th>{word('Weight')}</th><td>{e(selected.weight_g)} g</td></tr>"
    return (
        f"    {brand}\n"
        f"    <tr><th>{word('Product code')}</th><td>{e(product.code)}</td></tr>\n"
        f"    {specs}\n"
        f"    {weight}\n"
    )


def _feedback_html(context) -> str:
    """partials/product_feedback.html: written here when the product has neither reviews nor
    questions (most products), else rendered by the template (their own partials)."""
    word = words()  # the language looked up once
    feedback, product = context["feedback"], context["product"]
    if feedback.review_count or feedback.questions:
        return render_to_string("storefront/partials/product_feedback.html", context)
    ask = e(slug_url_maker("storefront:ask_question")(product.slug))
    return (
        '\n<section class="block feedback" id="reviews" aria-labelledby="h-reviews">\n'
        f'  <h2 id="h-reviews">{word("Customer reviews")}</h2>\n'
        "  <p class=\"muted\">"
        + word("No reviews yet. Customers who received this product can review it from their "
             "order page.")
        + "</p>\n"
        "</section>\n"
        '<section class="block feedback" id="questions" aria-labelledby="h-questions">\n'
        f'  <h2 id="h-questions">{word("Questions and answers")}</h2>\n'
        f'  <p class="muted">{word("No questions yet.")}</p>\n'
        f'  <form class="form ask" method="post" action="{ask}">\n'
        '    <input type="hidden" name="csrfmiddlewaretoken" value="__csrf_token__">\n'
        f'    <div class="field"><label for="ask-text">{word("Ask about this product")}</label>\n'
        '      <textarea id="ask-text" name="text" rows="3" minlength="4" maxlength="500" '
        "required></textarea></div>\n"
        '    <div class="field"><label for="ask-name">'
        f'{word("Your name (if you are not logged in)")}</label>\n'
        '      <input id="ask-name" name="guest_name" maxlength="40" autocomplete="nickname">'
        "</div>\n"
        '    <p class="muted">'
        + word("Questions and answers are shown once our staff has read them.")
        + "</p>\n"
        f'    <button type="submit" class="btn">{word("Send the question")}</button>\n'
        "  </form>\n"
        "</section>\n"
    )  # fmt: skip


def body_html(context: dict) -> str:
    """partials/product_body.html for `context` (views._build_product's)."""
    word = words()  # the language looked up once
    product, selected = context["product"], context["selected"]
    options, available = context["options"], context["available"]
    path, province = e(context["path"]), context["province"]
    has_stock = selected is not None and selected.pk in available
    subtitle = f'<p class="muted">{e(product.subtitle)}</p>' if product.subtitle else ""
    price = e(selected.list_price if selected is not None else product.min_price)
    stock = (
        f'<span class="in">{word("In stock")}</span>'
        if has_stock
        else f'<span class="out">{word("Out of stock")}</span>'
    )
    if province:
        where = gettext("for delivery to %(province)s") % {"province": e(province)}
    else:
        where = word("in any warehouse; choose your province for your delivery")
    cart_add = route_url("storefront:cart_add")
    description = ""
    if product.description:
        description = (
            f'<h2>{word("Description")}</h2><div class="description">{product.description}</div>'
        )
    related = context["related"]
    related_block = ""
    if related:
        related_block = (
            f'<section class="block"><h2>{word("You may also like")}</h2>\n'
            f'  <ul class="cards">{related}</ul>\n</section>'
        )
    return (
        "\n"
        + context["crumbs_html"]
        + '\n<article class="product">\n  <div class="gallery">\n    '
        + context["gallery_html"]
        + "\n  </div>\n"
        '  <div class="buy">\n'
        f"    <h1>{e(product.name)}</h1>\n"
        f"    {subtitle}\n"
        f'    <p class="price big" id="sku-price">¥{price}</p>\n'
        f'    <form class="province" action="{route_url("storefront:province")}" method="get">\n'
        f'      <input type="hidden" name="next" value="{path}">\n'
        f'      <label>{word("Deliver to")}\n'
        '        <select name="province" data-autosubmit>\n'
        f'          <option value="">{word("Choose your province")}</option>\n'
        f"          {context['province_options']}\n"
        "        </select></label>\n"
        f'      <button>{word("Change")}</button>\n'
        "    </form>\n"
        f'    <form class="sku-form" id="sku-form" action="{path}" method="get">\n'
        f"      {_options_html(options)}\n"
        '      <input type="hidden" name="sku" id="sku-id" '
        f'value="{e(selected.pk) if selected is not None else ""}">\n'
        f'      <p class="stock" id="sku-stock" data-in="{word("In stock")}" '
        f'data-out="{word("Out of stock")}" '
        f'data-none="{word("This combination does not exist")}">\n'
        f"        {stock}\n"
        f"        <small>{where}</small>\n"
        "      </p>\n"
        f'      <p class="sku-code muted">{word("Item no.")} <span id="sku-code">'
        f'{e(selected.code) if selected is not None else ""}</span></p>\n'
        "      \n"
        '      <input type="hidden" name="csrfmiddlewaretoken" value="__csrf_token__">\n'
        f'      <input type="hidden" name="next" value="{path}">\n'
        f'      <p class="qty-field"><label for="add-quantity">{word("Quantity")}</label> '
        '<input type="number" id="add-quantity" name="quantity" value="1" min="1" '
        'inputmode="numeric"></p>\n'
        f'      <button type="submit" class="add-to-cart" formaction="{cart_add}" '
        f'formmethod="post" hx-post="{cart_add}" hx-target="#cart-added" hx-swap="innerHTML" '
        f'{"" if has_stock else "disabled"}>{word("Add to cart")}</button>\n'
        '      <p id="cart-added" role="status" aria-live="polite" data-swap-errors></p>\n'
        "    </form>\n"
        f"    {json_script(context['sku_map'], 'sku-data')}\n"
        "  </div>\n"
        "</article>\n"
        '<section class="details">\n'
        f'  <h2>{word("Specifications")}</h2>\n'
        '  <table class="spec-table"><tbody>\n'
        + _spec_rows_html(product, options, selected)
        + "  </tbody></table>\n"
        f"  {description}\n"
        "</section>\n"
        + _feedback_html(context)
        + f"\n{related_block}\n"
        f'<script src="{route_url("storefront/product.js")}" defer></script>\n'
    )  # fmt: skip
