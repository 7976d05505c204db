"""A read-only view of orders in the Django admin: orders change only through services."""

from django.contrib import admin

from mercato.core.admin import PersonalDataAdminMixin

from .models import Order, OrderEvent, OrderLine


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class OrderLineInline(ReadOnlyMixin, admin.TabularInline):
    model = OrderLine
    fields = ("product_name", "sku_code", "specs", "unit_price", "quantity", "line_total",
              "discount_share")  # fmt: skip
    readonly_fields = fields
    extra = 0


class OrderEventInline(ReadOnlyMixin, admin.TabularInline):
    model = OrderEvent
    fields = ("created_at", "from_status", "to_status", "actor", "reason")
    readonly_fields = fields
    extra = 0


@admin.register(Order)
class OrderAdmin(PersonalDataAdminMixin, ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("number", "status", "payment_method", "total", "province", "placed_at",
                    "paid_at")  # fmt: skip
    list_filter = ("status", "payment_method", "province")
    search_fields = ("number", "payment_ref")
    date_hierarchy = "placed_at"
    list_select_related = ("customer",)
    inlines = [OrderLineInline, OrderEventInline]
    exclude = ("guest_token", "idempotency_key")
    personal_fields = {"recipient": "name", "mobile": "phone", "detail": "address"}

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("orders.view_order")
