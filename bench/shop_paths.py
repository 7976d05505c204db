"""The URLs bench/run.py measures, read from the seeded bench database; prints JSON.

    DATABASE_URL=... .venv/bin/python bench/shop_paths.py

- `product`: the on-sale product with the most SKUs (one URL, a page-cache hit after the
  first request); `products`: every on-sale product (the long tail, rotating);
- `category`: the first top category with its most common brand and that brand's most
  common spec value (two facets); `categories`: every active category with on-sale
  products, each with its most common brand as a facet (rotating);
- `search`: one two-word query; `searches`: at least 100 distinct queries a shopper could
  type, built from the catalogue (brands, leaf categories, and the commonest brand within
  each leaf category);
- `bare_product_id`: the product row the bare views read.
"""

import json
import os
import sys
from collections import Counter
from urllib.parse import urlencode

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mercato.settings")

import django  # noqa: E402

django.setup()

from django.db.models import Count  # noqa: E402

from mercato.catalog.models import Category, Product, SkuSpecValue  # noqa: E402
from mercato.catalog.selectors import products_in_category  # noqa: E402

SEARCH_QUERY = "华为 手机"
MIN_SEARCHES = 100


def category_path(category: Category, **facets) -> str:
    return f"/c/{category.slug}/" + (f"?{urlencode(facets)}" if facets else "")


def main() -> None:
    on_sale = Product.objects.filter(status="on_sale")
    product = on_sale.annotate(n=Count("skus")).order_by("-n", "id").first()
    products = [f"/p/{slug}/" for slug in on_sale.order_by("id").values_list("slug", flat=True)]

    top = Category.objects.filter(depth=1, is_active=True).order_by("path").first()
    base = products_in_category(category=top)
    brand = base.values("brand__slug").annotate(n=Count("id")).order_by("-n", "brand__slug")[0]
    spec = (
        SkuSpecValue.objects.filter(product__in=base.filter(brand__slug=brand["brand__slug"]))
        .values("name", "value")
        .annotate(n=Count("product"))
        .order_by("-n", "name", "value")
        .first()
    )
    category = category_path(
        top, brand=brand["brand__slug"], spec=f"{spec['name']}:{spec['value']}"
    )

    categories, leaf_brands = [], []
    for cat in Category.objects.filter(is_active=True).order_by("path"):
        counts = (
            products_in_category(category=cat)
            .exclude(brand=None)
            .values("brand__slug", "brand__name")
            .annotate(n=Count("id"))
            .order_by("-n", "brand__slug")
        )
        if counts:
            categories.append(category_path(cat, brand=counts[0]["brand__slug"]))
            if cat.is_leaf():
                leaf_brands.append(f"{counts[0]['brand__name']} {cat.name}")

    words = Counter()
    for name in on_sale.exclude(brand=None).values_list("brand__name", flat=True):
        words[name] += 1
    queries = list(dict.fromkeys([*leaf_brands, *(b for b, _ in words.most_common())]))
    queries += [
        c.name
        for c in Category.objects.filter(is_active=True).order_by("path")
        if c.name not in queries
    ]
    if len(queries) < MIN_SEARCHES:
        sys.exit(f"only {len(queries)} distinct search queries in this catalogue")

    print(
        json.dumps(
            {
                "product": f"/p/{product.slug}/",
                "products": products,
                "category": category,
                "categories": categories,
                "search": "/search/?" + urlencode({"q": SEARCH_QUERY}),
                "searches": ["/search/?" + urlencode({"q": q}) for q in queries],
                "bare_product_id": on_sale.order_by("id").values_list("id", flat=True).first(),
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
