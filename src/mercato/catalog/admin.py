from django.contrib import admin
from treebeard.admin import TreeAdmin
from treebeard.forms import movenodeform_factory

from .models import Brand, Category, Product, ProductImage, Sku, SpecAttribute

# Django admin is 技术部's tool; departments work in /backoffice/, whose views call services.


@admin.register(Category)
class CategoryAdmin(TreeAdmin):
    form = movenodeform_factory(Category)
    list_display = ("name", "slug", "is_active")
    search_fields = ("name", "slug")


@admin.register(Brand)
class BrandAdmin(admin.ModelAdmin):
    list_display = ("name", "name_en", "slug", "country")
    search_fields = ("name", "name_en")


class SkuInline(admin.TabularInline):
    model = Sku
    extra = 0
    fields = ("code", "barcode", "specs", "list_price", "cost_price", "weight_g", "is_active")


class ImageInline(admin.TabularInline):
    model = ProductImage
    extra = 0


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "category", "brand", "status", "min_price", "updated_at")
    list_filter = ("status",)
    search_fields = ("code", "name")
    list_select_related = ("category", "brand")
    raw_id_fields = ("category", "brand")
    inlines = [SkuInline, ImageInline]


@admin.register(SpecAttribute)
class SpecAttributeAdmin(admin.ModelAdmin):
    list_display = ("name", "category", "position")
    list_select_related = ("category",)
