"""Catalogue changes. Each endpoint parses its body and calls one catalogue service with the
caller as actor; the service checks the permission, so a 403 changes nothing."""

from ninja import File, Form, Status
from ninja.files import UploadedFile

from mercato.api.auth import requires
from mercato.api.schemas import PathId, Text, responses
from mercato.catalog import services
from mercato.catalog.models import Category

from .read import can_see_cost, image_data, product_detail, sku_data
from .router import router
from .schemas import (
    BrandIn,
    BrandOut,
    CategoryIn,
    CategoryMoveIn,
    CategoryOut,
    GenerateSkusIn,
    ImageOut,
    PriceApplyIn,
    PriceChangeIn,
    PriceChangeOut,
    ProductDetail,
    ProductIn,
    ProductPatch,
    SkuOut,
    SkuPatch,
    StatusIn,
)

# ninja takes a form field with a default from its parameter default, not from Annotated.
ALT_TEXT = Form("", max_length=120)


def _category_out(category) -> dict:
    parent = Category.objects.get_parent(category)
    return {
        "id": category.pk,
        "name": category.name,
        "slug": category.slug,
        "depth": category.depth,
        "parent_id": parent.pk if parent else None,
        "is_active": category.is_active,
    }


@router.post(
    "/products",
    **requires("catalog.add_product"),
    response=responses(ProductDetail, 201),
    exclude_unset=True,
    summary="Create a draft product",
)
def create_product(request, payload: ProductIn):
    fields = payload.model_dump()
    product = services.create_product(actor=request.auth, **fields)
    return Status(201, product_detail(product.pk, request.auth))


@router.patch(
    "/products/{product_id}",
    **requires("catalog.change_product"),
    response=responses(ProductDetail),
    exclude_unset=True,
    summary="Change a product",
)
def update_product(request, product_id: PathId, payload: ProductPatch):
    # Only the fields the client sent; an absent field is left as it is.
    fields = payload.model_dump(exclude_unset=True)
    services.update_product(actor=request.auth, product_id=product_id, **fields)
    return product_detail(product_id, request.auth)


@router.post(
    "/products/{product_id}/status",
    **requires("catalog.publish_product"),
    response=responses(ProductDetail),
    exclude_unset=True,
    summary="Publish (on_sale), take off the shelf (off_shelf) or back to draft",
)
def set_status(request, product_id: PathId, payload: StatusIn):
    services.set_product_status(actor=request.auth, product_id=product_id, status=payload.status)
    return product_detail(product_id, request.auth)


@router.post(
    "/products/{product_id}/skus",
    **requires("catalog.change_product"),
    response=responses(list[SkuOut], 201),
    exclude_unset=True,
    summary="Generate SKUs from spec values",
)
def generate_skus(request, product_id: PathId, payload: GenerateSkusIn):
    skus = services.generate_skus(actor=request.auth, product_id=product_id, **payload.model_dump())
    with_cost = can_see_cost(request.auth)
    return Status(201, [sku_data(s, with_cost=with_cost) for s in skus])


@router.patch(
    "/skus/{sku_id}",
    **requires("catalog.change_product"),
    response=responses(SkuOut),
    exclude_unset=True,
    summary="Change a SKU",
)
def update_sku(request, sku_id: PathId, payload: SkuPatch):
    fields = payload.model_dump(exclude_unset=True)
    sku = services.update_sku(actor=request.auth, sku_id=sku_id, **fields)
    return sku_data(sku, with_cost=can_see_cost(request.auth))


@router.post(
    "/products/{product_id}/images",
    **requires("catalog.change_product"),
    response=responses(ImageOut, 201),
    summary="Upload a product image (multipart)",
)
def upload_image(
    request,
    product_id: PathId,
    image: File[UploadedFile],
    alt: Text = ALT_TEXT,
):
    created = services.add_product_image(
        actor=request.auth, product_id=product_id, upload=image, alt=alt
    )
    return Status(201, image_data(created))


@router.post(
    "/prices/preview",
    **requires("catalog.change_price"),
    response=responses(list[PriceChangeOut]),
    summary="Preview a bulk price change (writes nothing)",
)
def preview_prices(request, payload: PriceChangeIn):
    return services.preview_price_change(
        actor=request.auth, sku_ids=payload.sku_ids, mode=payload.mode, value=payload.value
    )


@router.post(
    "/prices/apply",
    **requires("catalog.change_price"),
    response=responses(list[PriceChangeOut]),
    summary="Apply a bulk price change: all SKUs or none",
)
def apply_prices(request, payload: PriceApplyIn):
    return services.apply_price_change(
        actor=request.auth,
        sku_ids=payload.sku_ids,
        mode=payload.mode,
        value=payload.value,
        expected=payload.expected,
    )


@router.post(
    "/categories",
    **requires("catalog.add_category"),
    response=responses(CategoryOut, 201),
    summary="Create a category",
)
def create_category(request, payload: CategoryIn):
    category = services.create_category(actor=request.auth, **payload.model_dump())
    return Status(201, _category_out(category))


@router.post(
    "/categories/{category_id}/move",
    **requires("catalog.change_category"),
    response=responses(CategoryOut),
    summary="Move a category with its subtree",
)
def move_category(request, category_id: PathId, payload: CategoryMoveIn):
    category = services.move_category(
        actor=request.auth,
        category_id=category_id,
        target_id=payload.target_id,
        position=payload.position,
    )
    return _category_out(category)


@router.post(
    "/brands",
    **requires("catalog.add_brand"),
    response=responses(BrandOut, 201),
    summary="Create a brand",
)
def create_brand(request, payload: BrandIn):
    return Status(201, services.create_brand(actor=request.auth, **payload.model_dump()))
