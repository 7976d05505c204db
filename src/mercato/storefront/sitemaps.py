"""sitemap.xml: an index of sections (categories, products), each split into pages.

Django's sitemap framework pages a section at `limit` URLs (50,000, the protocol's cap;
MERCATO_SITEMAP_LIMIT overrides it, e.g. in tests) and lists every page in the index.
"""

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from mercato.catalog import selectors
from mercato.catalog.models import Category


class _Limited(Sitemap):
    protocol = None  # the request's

    @property
    def limit(self):
        return getattr(settings, "MERCATO_SITEMAP_LIMIT", 50000)


class CategorySitemap(_Limited):
    changefreq = "daily"
    priority = 0.6

    def items(self):
        return Category.objects.filter(is_active=True).order_by("path").only("slug")

    def location(self, item):
        return reverse("storefront:category", args=[item.slug])


class ProductSitemap(_Limited):
    changefreq = "weekly"
    priority = 0.8

    def items(self):
        # Only what a URL needs; ordered by id so pages stay stable as products are added.
        return selectors.products_on_sale().order_by("pk").only("slug", "updated_at")

    def location(self, item):
        return reverse("storefront:product", args=[item.slug])

    def lastmod(self, item):
        return item.updated_at


SITEMAPS = {"categories": CategorySitemap, "products": ProductSitemap}
