"""Public catalogue reads: category tree, brands, product list and detail.

Anonymous callers see products on sale; staff with catalog.view_product see every status;
cost prices appear only for catalog.view_cost_price. Every endpoint runs a fixed number of
queries, however many rows it returns.
"""

from django.db.models import Prefetch, Q
from easy_thumbnails.alias import aliases
from easy_thumbnails.files import get_thumbnailer
from ninja import Query

from mercato.api.auth import viewer
from mercato.api.schemas import PathId, responses
from mercato.catalog.models import Brand, Category, Product, ProductImage, ProductStatus, Sku
from mercato.core.errors import NotFound, PermissionDeniedError, ValidationFailed

from .router import router
from .schemas import (
    SORTS,
    BrandPage,
    CategoryNode,
    ProductDetail,
    ProductFilters,
    ProductPage,
)

THUMBNAIL_SIZES = ("small", "medium", "large")


def can_see_all_statuses(user) -> bool:
    return user.is_authenticated and user.has_perm("catalog.view_product")


def can_see_cost(user) -> bool:
    return user.is_authenticated and user.has_perm("catalog.view_cost_price")


def thumbnail_urls(image: ProductImage) -> dict[str, str]:
    """URLs of the thumbnails made at upload, computed by name: no query, no rendering."""
    thumbnailer = get_thumbnailer(image.image)
    urls = {}
    for alias in THUMBNAIL_SIZES:
        options = aliases.get(alias)
        if options:
            name = thumbnailer.get_thumbnail_name(options)
            urls[alias] = thumbnailer.thumbnail_storage.url(name)
    return urls


def _category_ref(category: Category) -> dict:
    return {"id": category.pk, "name": category.name, "slug": category.slug}


def _brand_ref(brand) -> dict | None:
    return {"id": brand.pk, "name": brand.name, "slug": brand.slug} if brand else None


def image_data(image: ProductImage) -> dict:
    return {
        "id": image.pk,
        "url": image.image.url,
        "width": image.width,
        "height": image.height,
        "alt": image.alt,
        "position": image.position,
        "thumbnails": thumbnail_urls(image),
    }


def sku_data(sku: Sku, *, with_cost: bool) -> dict:
    data = {
        "id": sku.pk,
        "code": sku.code,
        "barcode": sku.barcode,
        "specs": {str(k): str(v) for k, v in sku.specs.items()},
        "list_price": sku.list_price,
        "weight_g": sku.weight_g,
        "volume_cm3": sku.volume_cm3,
        "is_active": sku.is_active,
    }
    # Left out, not null, for callers who may not see it: the key itself is not theirs.
    if with_cost:
        data["cost_price"] = sku.cost_price
    return data


def product_detail(product_id: int, user) -> dict:
    """The product with its SKUs and images as `user` may see it (NotFound otherwise)."""
    staff_view = can_see_all_statuses(user)
    products = Product.objects.select_related("category", "brand")
    if not staff_view:
        products = products.filter(status=ProductStatus.ON_SALE)
    skus = Sku.objects.order_by("id")
    if not staff_view:
        skus = skus.filter(is_active=True)
    product = (
        products.prefetch_related(
            Prefetch("skus", queryset=skus),
            Prefetch("images", queryset=ProductImage.objects.order_by("position", "id")),
        )
        .filter(pk=product_id)
        .first()
    )
    if product is None:
        raise NotFound("Product not found")
    with_cost = can_see_cost(user)
    fields = (
        "id code name subtitle slug status description seo_title seo_keywords "
        "seo_description min_price max_price published_at updated_at"
    ).split()
    return {
        **{f: getattr(product, f) for f in fields},
        "category": _category_ref(product.category),
        "brand": _brand_ref(product.brand),
        "skus": [sku_data(s, with_cost=with_cost) for s in product.skus.all()],
        "images": [image_data(i) for i in product.images.all()],
    }


@router.get("/categories", response=responses(list[CategoryNode]), summary="Category tree")
def category_tree(request):
    """Every active category, nested; an inactive category hides its subtree."""
    viewer(request)
    nodes: dict[str, dict] = {}
    roots: list[dict] = []
    steplen = Category.steplen
    # Ordered by path, a parent always comes before its children.
    for cat in Category.objects.filter(is_active=True).order_by("path"):
        node = {"id": cat.pk, "name": cat.name, "slug": cat.slug, "depth": cat.depth}
        node["children"] = []
        nodes[cat.path] = node
        if cat.depth == 1:
            roots.append(node)
        else:
            parent = nodes.get(cat.path[:-steplen])
            if parent is not None:
                parent["children"].append(node)
    return roots


@router.get("/brands", response=responses(BrandPage), summary="Brands")
def list_brands(request, limit: int = Query(200, ge=1, le=500), offset: int = Query(0, ge=0)):
    viewer(request)
    brands = Brand.objects.order_by("name", "id")
    offset = min(offset, 1_000_000)
    return {
        "count": brands.count(),
        "limit": limit,
        "offset": offset,
        "items": list(brands[offset : offset + limit]),
    }


def _filtered_products(filters: ProductFilters, user):
    products = Product.objects.all()
    if filters.status and filters.status != ProductStatus.ON_SALE:
        if not can_see_all_statuses(user):
            raise PermissionDeniedError(
                "Only staff may list products that are not on sale", field="status"
            )
        products = products.filter(status=filters.status)
    elif filters.status or not can_see_all_statuses(user):
        products = products.filter(status=ProductStatus.ON_SALE)
    if filters.category:
        path = Category.objects.filter(pk=filters.category).values_list("path", flat=True).first()
        if path is None:
            raise ValidationFailed({"category": ["Unknown category"]})
        # A materialised path: every descendant's path starts with its ancestor's.
        products = products.filter(category__path__startswith=path)
    if filters.brand:
        products = products.filter(brand_id=filters.brand)
    lo, hi = filters.min_price, filters.max_price
    if lo is not None and hi is not None and lo > hi:
        raise ValidationFailed({"min_price": ["The lowest price is above the highest"]})
    # Price ranges that overlap [lo, hi]: some SKU of the product is in the range.
    if lo is not None:
        products = products.filter(max_price__gte=lo)
    if hi is not None:
        products = products.filter(min_price__lte=hi)
    if filters.q and filters.q.strip():
        q = filters.q.strip()
        products = products.filter(Q(name__icontains=q) | Q(code__icontains=q))
    return products.order_by(*SORTS[filters.sort])


@router.get("/products", response=responses(ProductPage), summary="Products")
def list_products(request, filters: Query[ProductFilters]):
    user = viewer(request)
    products = _filtered_products(filters, user)
    page = (
        products.select_related("category", "brand")
        .prefetch_related(
            Prefetch("images", queryset=ProductImage.objects.order_by("position", "id"))
        )
        .only(
            *"id code name subtitle slug status min_price max_price".split(),
            *"category__id category__name category__slug".split(),
            *"brand__id brand__name brand__slug".split(),
        )[filters.offset : filters.offset + filters.limit]
    )
    items = []
    for product in page:
        images = product.images.all()
        items.append(
            {
                **{
                    f: getattr(product, f)
                    for f in "id code name subtitle slug status min_price max_price".split()
                },
                "category": _category_ref(product.category),
                "brand": _brand_ref(product.brand),
                "thumbnail": thumbnail_urls(images[0]).get("small") if images else None,
            }
        )
    return {
        "count": products.count(),
        "limit": filters.limit,
        "offset": filters.offset,
        "items": items,
    }


@router.get(
    "/products/{product_id}",
    response=responses(ProductDetail),
    exclude_unset=True,
    summary="Product with SKUs and images",
)
def get_product(request, product_id: PathId):
    return product_detail(product_id, viewer(request))
