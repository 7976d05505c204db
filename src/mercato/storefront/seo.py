"""SEO data of shop pages: title, description, canonical URL, Open Graph, JSON-LD."""

import json

from django.conf import settings
from django.utils.html import strip_tags
from django.utils.translation import gettext as _

from .markup import e

SITE_NAME = "Mercato"


def site_name() -> str:
    return getattr(settings, "MERCATO_SITE_NAME", SITE_NAME)


def to_json_ld(data: dict) -> str:
    """JSON for a <script type="application/ld+json">; `<` escaped so text cannot close it."""
    return (
        json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
    )


def breadcrumb_ld(request, trail: list[tuple[str, str]]) -> dict:
    """BreadcrumbList from [(name, path)], root first."""
    return {
        "@context": "https://schema.org",
        "@type": "BreadcrumbList",
        "itemListElement": [
            {
                "@type": "ListItem",
                "position": i,
                "name": name,
                "item": request.build_absolute_uri(path),
            }
            for i, (name, path) in enumerate(trail, start=1)
        ],
    }


def organization_ld(request) -> dict:
    return {
        "@context": "https://schema.org",
        "@type": "Organization",
        "name": site_name(),
        "url": request.build_absolute_uri("/"),
    }


def product_ld(*, product, skus, available_ids, image_uris, canonical) -> dict:
    """A Product's JSON-LD; `image_uris` and `canonical` absolute."""
    currency = settings.MERCATO_CURRENCY
    offers = [
        {
            "@type": "Offer",
            "sku": sku.code,
            "price": str(sku.list_price),
            "priceCurrency": currency,
            "availability": "https://schema.org/InStock"
            if sku.pk in available_ids
            else "https://schema.org/OutOfStock",
            "url": canonical + (f"?sku={sku.pk}" if len(skus) > 1 else ""),
        }
        for sku in skus
    ]
    data = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": product.name,
        "description": describe(product),
        "sku": product.code,
        "url": canonical,
        "image": list(image_uris),
        "offers": offers[0] if len(offers) == 1 else offers,
    }
    if product.brand_id:
        data["brand"] = {"@type": "Brand", "name": product.brand.name}
    return data


def add_rating(data: dict, feedback) -> dict:
    """A Product's JSON-LD with its aggregateRating and its newest reviews, when it has
    published reviews (search engines show the stars)."""
    if not feedback.review_count:
        return data
    data["aggregateRating"] = {
        "@type": "AggregateRating",
        "ratingValue": str(feedback.average),
        "reviewCount": feedback.review_count,
        "bestRating": 5,
        "worstRating": 1,
    }
    data["review"] = [
        {
            "@type": "Review",
            "author": {"@type": "Person", "name": review.author_name},
            "datePublished": review.published_at.date().isoformat(),
            "reviewBody": review.text,
            "reviewRating": {"@type": "Rating", "ratingValue": review.stars, "bestRating": 5},
        }
        for review in feedback.reviews[:3]
    ]
    return data


def describe(product) -> str:
    text = product.seo_description or product.subtitle or strip_tags(product.description)
    return " ".join(text.split())[:300] or product.name


def product_meta(product, category_trail) -> dict:
    keywords = product.seo_keywords or ",".join(
        x for x in [product.name, product.brand.name if product.brand_id else "",
                    *(c.name for c in category_trail)] if x
    )  # fmt: skip
    return {
        "title": product.seo_title
        or _("%(name)s - %(site)s") % {"name": product.name, "site": site_name()},
        "description": describe(product),
        "keywords": keywords[:255],
    }


def category_meta(category, trail) -> dict:
    names = [c.name for c in trail]
    return {
        "title": category.seo_title
        or _("%(name)s - buy online at %(site)s") % {"name": category.name, "site": site_name()},
        "description": category.seo_description
        or _("%(name)s: prices, brands and specs compared, delivered from a warehouse near you.")
        % {"name": " / ".join(names)},
        "keywords": category.seo_keywords or ",".join(reversed(names)),
    }


def meta_html(m: dict) -> str:
    """partials/meta.html for the meta dict `m`, written in Python for every shop page
    (storefront/tests/test_product_html.py checks it against the template)."""
    keywords = f'<meta name="keywords" content="{e(m["keywords"])}">' if m.get("keywords") else ""
    noindex = '<meta name="robots" content="noindex,follow">' if m.get("noindex") else ""
    image = f'<meta property="og:image" content="{e(m["image"])}">' if m.get("image") else ""
    blocks = "".join(
        f'<script type="application/ld+json">{block}</script>\n' for block in m.get("json_ld", ())
    )
    canonical, description = e(m.get("canonical", "")), e(m.get("description", ""))
    return (
        f'<meta name="description" content="{description}">\n'
        f"{keywords}\n"
        f'<link rel="canonical" href="{canonical}">\n'
        f"{noindex}\n"
        '<meta property="og:site_name" content="Mercato">\n'
        f'<meta property="og:type" content="{e(m.get("og_type") or "website")}">\n'
        f'<meta property="og:title" content="{e(m.get("title", ""))}">\n'
        f'<meta property="og:description" content="{description}">\n'
        f'<meta property="og:url" content="{canonical}">\n'
        f"{image}\n"
        f"{blocks}\n"
    )
