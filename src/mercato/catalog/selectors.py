"""Read queries of the shop front (with their select_related/prefetch), shared with search."""

import functools
import operator
from dataclasses import dataclass
from types import SimpleNamespace

from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import JSONObject, Substr

from mercato.core.compiled import CompiledQuery

from .facets import sort_products
from .models import (
    Category,
    Product,
    ProductImage,
    ProductPopularity,
    ProductSlugHistory,
    ProductStatus,
    RemovedProduct,
    Sku,
)

CARD_FIELDS = ["id", "name", "slug", "subtitle", "min_price", "max_price", "brand__name"]


def first_images() -> Prefetch:
    """Prefetch of each product's images in position order (cards show the first)."""
    return Prefetch("images", queryset=ProductImage.objects.order_by("position", "id"))


def first_image_name(product=None) -> Subquery:
    """The name of a product's first image by position (None without one), as a subquery
    of a Product queryset (`product`: the outer product, OuterRef("pk") by default)."""
    product = OuterRef("pk") if product is None else product
    images = ProductImage.objects.filter(product=product).order_by("position", "id")
    return Subquery(images.values("image")[:1])


def products_on_sale() -> QuerySet[Product]:
    return Product.objects.filter(status=ProductStatus.ON_SALE)


def product_cards(products: QuerySet[Product]) -> QuerySet[Product]:
    """What a product card needs: brand name and images, in two queries for any page size."""
    return products.select_related("brand").prefetch_related(first_images())


def card_rows(*, products: QuerySet[Product]) -> dict[int, dict]:
    """What the products' cards show, as plain values by product id in the queryset's order
    (two queries, no model instances: building them was most of a card's cost): name, slug,
    min_price, max_price, and image, the name of the first image by position (None without
    one)."""
    rows = {
        pk: {"name": name, "slug": slug, "min_price": low, "max_price": high, "image": None}
        for pk, name, slug, low, high in products.values_list(
            "id", "name", "slug", "min_price", "max_price"
        )
    }
    images = (
        ProductImage.objects.filter(product_id__in=list(rows))
        .order_by("product_id", "position", "id")
        .values_list("product_id", "image")
    )
    for product_id, image in images if rows else ():
        if rows[product_id]["image"] is None:
            rows[product_id]["image"] = image
    return rows


def active_category(*, slug: str) -> Category | None:
    return Category.objects.filter(slug=slug, is_active=True).first()


def products_in_category(*, category: Category) -> QuerySet[Product]:
    """Products on sale in the category and all its subcategories (treebeard path prefix)."""
    return products_on_sale().filter(
        category__path__startswith=category.path, category__is_active=True
    )


HOME_BLOCK_SIZE = 8  # products in a category block of the home page


def home_block_products(*, category: Category, sort: str = "") -> QuerySet[Product]:
    """The products a category block of the home page shows: the category's first
    HOME_BLOCK_SIZE in the order `sort` names (facets.SORTS; "" is 综合: sales, then the
    newest), with their brand."""
    products = sort_products(
        products=products_in_category(category=category), params={"sort": sort}
    )
    return products.select_related("brand")[:HOME_BLOCK_SIZE]


def category_trail(*, category: Category) -> list[Category]:
    """The category's ancestors and itself, root first (one query)."""
    return [
        *Category.objects.filter(path__in=_ancestor_paths(category)).order_by("depth"),
        category,
    ]


def _ancestor_paths(category: Category) -> list[str]:
    step = category.steplen
    return [category.path[:i] for i in range(step, len(category.path), step)]


# The trail of an uncached product page, compiled once (core.compiled): ancestors' paths in
# fixed slots, an unused slot None (`path IS NULL`, which no category has).
_TRAIL_SLOTS = 8
_TRAIL = CompiledQuery(
    "catalog.trail",
    lambda **paths: (
        Category.objects.filter(functools.reduce(operator.or_, (Q(path=p) for p in paths.values())))
        .order_by("depth")
        .values("id", "path", "depth", "name", "slug")
    ),
)


# The ancestors a product page's own statement brings along (trail_columns): enough for a
# category up to this many levels below the top; a deeper one reads its trail on its own.
TRAIL_COLUMNS = 3


def trail_columns() -> dict[str, Subquery]:
    """The ancestors of a Product queryset's category at depths 1 to TRAIL_COLUMNS, each as a
    subquery giving {"id", "name", "slug"} (JSONObject): the product page reads its trail
    with its product's row (category_trail_rows(ancestors=...)) instead of in a statement
    of its own. A level at or below the category's own depth gives the category itself
    or nothing; category_trail_rows() takes only the levels above it."""
    step = Category.steplen
    return {
        f"trail_{depth}": Subquery(
            Category.objects.filter(
                path=Substr(OuterRef("category__path"), 1, step * depth)
            ).values(found=JSONObject(id="id", name="name", slug="slug"))[:1]
        )
        for depth in range(1, TRAIL_COLUMNS + 1)
    }


def category_trail_rows(*, category: Category, ancestors: list | None = None) -> list[Category]:
    """category_trail() as unsaved categories with the id, path, depth, name and slug (one
    query a _TRAIL_SLOTS levels). `ancestors`: trail_columns()' values in depth order, as
    read with the product: no query when they reach the category's parent."""
    paths = _ancestor_paths(category)
    if ancestors is not None and len(paths) <= len(ancestors):
        found = ancestors[: len(paths)]
        if all(found):  # each ancestor's row was there (None: the tree moved meanwhile)
            return [
                *(
                    Category(id=a["id"], path=p, depth=depth, name=a["name"], slug=a["slug"])
                    for depth, (p, a) in enumerate(zip(paths, found, strict=True), start=1)
                ),
                category,
            ]
    found = []
    for start in range(0, len(paths), _TRAIL_SLOTS):
        chunk = paths[start : start + _TRAIL_SLOTS]
        chunk += [None] * (_TRAIL_SLOTS - len(chunk))
        found += _TRAIL.rows(**{f"p{i}": p for i, p in enumerate(chunk)})
    return [*(Category(**row) for row in found), category]


def child_categories(*, category: Category) -> list[Category]:
    return list(Category.objects.get_children(category).filter(is_active=True))


def top_categories() -> QuerySet[Category]:
    return Category.objects.get_root_nodes().filter(is_active=True)


def product_for_page(*, slug: str) -> Product | None:
    """A product on sale with brand, category, active SKUs and images (three queries)."""
    return (
        products_on_sale()
        .filter(slug=slug)
        .select_related("brand", "category")
        .prefetch_related(
            first_images(),
            Prefetch("skus", queryset=Sku.objects.filter(is_active=True).order_by("id")),
        )
        .first()
    )


def moved_product_slug(*, slug: str) -> str | None:
    """The current slug of a product that used to be at `slug`, if it is still on sale."""
    row = (
        ProductSlugHistory.objects.filter(slug=slug, product__status=ProductStatus.ON_SALE)
        .values_list("product__slug", flat=True)
        .first()
    )
    return row


def is_removed(*, slug: str) -> bool:
    return RemovedProduct.objects.filter(slug=slug).exists()


def related_products(*, product: Product, limit: int = 6) -> QuerySet[Product]:
    """Other products on sale in the same category, best sellers first (for card_rows)."""
    # The sales figure as a subquery, not a join: PostgreSQL then looks up the category's
    # few products' rows by key instead of hashing the whole table (a join: 0.22 ms of its
    # CPU per uncached product page, the subquery 0.12). The same order, NULLs included.
    units = ProductPopularity.objects.filter(product_id=OuterRef("pk")).values("units_sold")
    return (
        products_on_sale()
        .filter(category_id=product.category_id)
        .exclude(pk=product.pk)
        .order_by(Subquery(units).desc(), "-published_at", "-pk")[:limit]
    )


# The product page, uncached (storefront.views._build_product): its rows read by statements
# compiled once per process (core.compiled) into plain objects. Building the querysets,
# the prefetches and the model instances was about half of an uncached page's CPU time.
# The product's and the SKUs' statements are compiled by storefront.page_data, with the
# rating (reviews) and the stock state (inventory) in them as subqueries.
def page_product_values(*, slug: str) -> QuerySet:
    """The values of a product on sale that its page shows, with its brand's and category's
    (product_page_of takes the row)."""
    return (
        products_on_sale()
        .filter(slug=slug)
        .values(
            "id", "code", "name", "subtitle", "slug", "description", "min_price", "max_price",
            "seo_title", "seo_keywords", "seo_description", "brand_id", "brand__name",
            "category_id", "category__path", "category__depth", "category__name",
            "category__slug",
        )[:1]
    )  # fmt: skip


# What a product page keeps of its product across stock-state bumps (storefront.page_data's
# document, under catalog.shopcache's content version): page_product_values() but its
# prices, read with the SKUs instead (page_price_columns).
PAGE_PRICE_FIELDS = ("min_price", "max_price")


def page_price_columns(*, product_id: int) -> dict[str, Subquery]:
    """The product's min_price and max_price as subqueries of a Sku queryset (any, the
    product's SKUs: the same values on each row), each None unless the product is on sale."""
    product = products_on_sale().filter(pk=product_id)
    return {f"product_{name}": Subquery(product.values(name)[:1]) for name in PAGE_PRICE_FIELDS}


def page_sku_values(*, product_id: int) -> QuerySet:
    """The values of a product's active SKUs that its page shows, by id."""
    return (
        Sku.objects.filter(product_id=product_id, is_active=True)
        .order_by("id")
        .values("id", "code", "specs", "list_price", "weight_g")
    )


_PAGE_IMAGES = CompiledQuery(
    "catalog.page_images",
    lambda product_id: (
        ProductImage.objects.filter(product_id=product_id)
        .order_by("position", "id")
        .values("image", "alt", "width", "height")
    ),
)
# The images a product page's own statement brings along (image_columns); a product with
# this many or more reads them in a statement of their own.
IMAGE_COLUMNS = 6


def image_columns() -> dict[str, Subquery]:
    """A Product queryset's first IMAGE_COLUMNS images in position order, each as a subquery
    giving {"image", "alt", "width", "height"} (JSONObject), None past the last: the product
    page reads its images with its product's row (product_page_of(images=...))."""
    images = ProductImage.objects.filter(product_id=OuterRef("pk")).order_by("position", "id")
    found = JSONObject(image="image", alt="alt", width="width", height="height")
    return {
        f"image_{i}": Subquery(images.values(found=found)[i : i + 1]) for i in range(IMAGE_COLUMNS)
    }


RELATED_LIMIT = 6
_RELATED_CARDS = CompiledQuery(
    "catalog.related_cards",
    lambda category_id, product_id: (
        related_products(
            product=Product(pk=product_id, category_id=category_id), limit=RELATED_LIMIT
        )
        .annotate(first_image=first_image_name())
        .values_list("id", "name", "slug", "min_price", "max_price", "first_image")
    ),
)


@dataclass
class ProductPage:
    """What the product page shows of a product on sale. `product`, its `skus` and `images`
    are plain objects with the attributes of the models' that the page and its SEO read
    (product.brand: None or .name; sku.pk; image.image: the image's field file)."""

    product: SimpleNamespace
    category: Category | None  # None: not read (storefront.page_data, its kept document)
    skus: list[SimpleNamespace]
    images: list[SimpleNamespace]


def product_page_of(*, row: dict, sku_rows: list[dict], images: list | None = None) -> ProductPage:
    """The page's product from page_product_values()' row and page_sku_values()' rows (the
    SKUs' other keys kept as attributes), with its images: `images`, image_columns()' values
    in order, as read with the product, or one query when they are not given or may not be
    all (the last column filled)."""
    row = dict(row)
    category = Category(
        pk=row.pop("category_id"),
        path=row.pop("category__path"),
        depth=row.pop("category__depth"),
        name=row.pop("category__name"),
        slug=row.pop("category__slug"),
    )
    brand_name = row.pop("brand__name")
    product = SimpleNamespace(
        **row,
        pk=row["id"],
        category_id=category.pk,
        brand=SimpleNamespace(name=brand_name) if row["brand_id"] else None,
    )
    skus = [SimpleNamespace(**s, pk=s["id"]) for s in sku_rows]
    field = ProductImage._meta.get_field("image")
    owner = ProductImage(product_id=product.pk)  # the field files' instance (thumbnail names)
    if images is None or images[-1] is not None:
        images = _PAGE_IMAGES.rows(product_id=product.pk)
    images = [
        SimpleNamespace(**{**i, "image": field.attr_class(owner, field, i["image"])})
        for i in images
        if i is not None
    ]
    return ProductPage(product=product, category=category, skus=skus, images=images)


def related_card_rows(*, product_id: int, category_id: int) -> dict[int, dict]:
    """card_rows() of related_products(), in one query."""
    return {
        pk: {"name": name, "slug": slug, "min_price": low, "max_price": high, "image": image}
        for pk, name, slug, low, high, image in _RELATED_CARDS.rows(
            category_id=category_id, product_id=product_id
        )
    }
