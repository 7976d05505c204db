"""Request and response bodies of the catalogue endpoints."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from ninja import Field, Schema

from mercato.api.schemas import Id, Text

Money = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2)]
Status = Literal["draft", "on_sale", "off_shelf"]
SORTS = {
    "newest": ("-id",),
    "oldest": ("id",),
    "price": ("min_price", "id"),
    "-price": ("-max_price", "-id"),
    "name": ("name", "id"),
    "-name": ("-name", "-id"),
    "updated": ("-updated_at", "-id"),
}
Sort = Literal["newest", "oldest", "price", "-price", "name", "-name", "updated"]
MAX_LIMIT = 100


# Reading --------------------------------------------------------------------------------
class CategoryNode(Schema):
    id: int
    name: str
    slug: str
    depth: int
    children: list["CategoryNode"] = []


CategoryNode.model_rebuild()


class CategoryRef(Schema):
    id: int
    name: str
    slug: str


class BrandOut(Schema):
    id: int
    name: str
    name_en: str
    slug: str
    country: str


class BrandRef(Schema):
    id: int
    name: str
    slug: str


class BrandPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[BrandOut]


class ProductFilters(Schema):
    category: Id | None = Field(None, description="Category id; its subcategories count too")
    brand: Id | None = None
    status: Status | None = Field(
        None, description="Staff with catalog.view_product only; others see products on sale"
    )
    min_price: Money | None = None
    max_price: Money | None = None
    q: Text | None = Field(None, max_length=100, description="Part of the name or code")
    sort: Sort = "newest"
    limit: int = Field(20, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=1_000_000)


class ProductListItem(Schema):
    id: int
    code: str
    name: str
    subtitle: str
    slug: str
    status: Status
    category: CategoryRef
    brand: BrandRef | None
    min_price: Decimal
    max_price: Decimal
    thumbnail: str | None = Field(description="URL of the first image's small thumbnail")


class ProductPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[ProductListItem]


class ImageOut(Schema):
    id: int
    url: str
    width: int
    height: int
    alt: str
    position: int
    thumbnails: dict[str, str] = Field(description="Alias (small, medium, large) → URL")


class SkuOut(Schema):
    id: int
    code: str
    barcode: str
    specs: dict[str, str]
    list_price: Decimal
    cost_price: Decimal | None = Field(
        None, description="Only for callers with catalog.view_cost_price; absent otherwise"
    )
    weight_g: int
    volume_cm3: int
    is_active: bool


class ProductDetail(Schema):
    id: int
    code: str
    name: str
    subtitle: str
    slug: str
    status: Status
    category: CategoryRef
    brand: BrandRef | None
    description: str
    seo_title: str
    seo_keywords: str
    seo_description: str
    min_price: Decimal
    max_price: Decimal
    published_at: datetime | None
    updated_at: datetime
    skus: list[SkuOut]
    images: list[ImageOut]


# Writing --------------------------------------------------------------------------------
class ProductIn(Schema):
    code: Text = Field(min_length=1, max_length=40)
    name: Text = Field(min_length=1, max_length=120)
    category_id: Id
    brand_id: Id | None = None
    subtitle: Text = Field("", max_length=200)
    slug: Text = Field("", max_length=160, description="Empty: made from the name's pinyin")
    description: Text = Field("", max_length=100_000, description="HTML; sanitised on save")
    seo_title: Text = Field("", max_length=120)
    seo_keywords: Text = Field("", max_length=255)
    seo_description: Text = Field("", max_length=300)


class ProductPatch(Schema):
    code: Text | None = Field(None, min_length=1, max_length=40)
    name: Text | None = Field(None, min_length=1, max_length=120)
    category_id: Id | None = None
    brand_id: Id | None = None
    subtitle: Text | None = Field(None, max_length=200)
    slug: Text | None = Field(None, max_length=160)
    description: Text | None = Field(None, max_length=100_000)
    seo_title: Text | None = Field(None, max_length=120)
    seo_keywords: Text | None = Field(None, max_length=255)
    seo_description: Text | None = Field(None, max_length=300)


SpecName = Annotated[Text, Field(min_length=1, max_length=30)]
SpecValue = Annotated[Text, Field(min_length=1, max_length=60)]


class GenerateSkusIn(Schema):
    spec_values: dict[SpecName, list[SpecValue]] = Field(
        description='Ordered: {"颜色": ["黑", "白"], "存储容量": ["128GB"]}'
    )
    list_price: Money
    cost_price: Money = Decimal("0.00")
    weight_g: int = Field(0, ge=0, le=1_000_000)
    volume_cm3: int = Field(0, ge=0, le=100_000_000)


class SkuPatch(Schema):
    code: Text | None = Field(None, min_length=1, max_length=40)
    barcode: Text | None = Field(None, max_length=13)
    weight_g: int | None = Field(None, ge=0, le=1_000_000)
    volume_cm3: int | None = Field(None, ge=0, le=100_000_000)
    is_active: bool | None = None
    list_price: Money | None = None
    cost_price: Money | None = None


class StatusIn(Schema):
    status: Status


class PriceChangeIn(Schema):
    sku_ids: list[Id] = Field(min_length=1, max_length=5000)
    mode: Literal["percent", "amount", "set"]
    value: Annotated[Decimal, Field(max_digits=12, decimal_places=2)]


class PriceApplyIn(PriceChangeIn):
    expected: dict[Id, Money] | None = Field(
        None, description="SKU id → the old price seen in the preview; a moved price → 409"
    )


class PriceChangeOut(Schema):
    sku_id: int
    sku_code: str
    product_name: str
    specs: str
    old_price: Decimal
    new_price: Decimal
    problem: str


class CategoryIn(Schema):
    name: Text = Field(min_length=1, max_length=60)
    parent_id: Id | None = None
    slug: Text = Field("", max_length=120)
    seo_title: Text = Field("", max_length=120)
    seo_keywords: Text = Field("", max_length=255)
    seo_description: Text = Field("", max_length=300)


class CategoryOut(Schema):
    id: int
    name: str
    slug: str
    depth: int
    parent_id: int | None
    is_active: bool


class CategoryMoveIn(Schema):
    target_id: Id
    position: Literal["first-child", "last-child", "left", "right"] = Field(
        description="Into the target (first/last child) or beside it (left/right)"
    )


class BrandIn(Schema):
    name: Text = Field(min_length=1, max_length=80)
    name_en: Text = Field("", max_length=80)
    country: Text = Field("", max_length=40)
    slug: Text = Field("", max_length=120)
