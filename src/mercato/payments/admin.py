"""A read-only view of payments, refunds and notices in the Django admin: they change only
through payments.services (finance works in the back office)."""

from django.contrib import admin

from mercato.orders.admin import ReadOnlyMixin

from .models import Payment, PaymentEvent, PaymentNotice, Refund, RefundEvent, RefundLine


class PaymentEventInline(ReadOnlyMixin, admin.TabularInline):
    model = PaymentEvent
    fields = ("created_at", "from_status", "to_status", "actor", "reason")
    readonly_fields = fields
    extra = 0


class RefundEventInline(PaymentEventInline):
    model = RefundEvent


class RefundLineInline(ReadOnlyMixin, admin.TabularInline):
    model = RefundLine
    fields = ("order_line", "quantity", "amount")
    readonly_fields = fields
    extra = 0


@admin.register(Payment)
class PaymentAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("number", "order", "method", "amount", "status", "paid_at", "needs_review")
    list_filter = ("status", "method", "needs_review")
    search_fields = ("number", "order__number", "trade_no")
    list_select_related = ("order",)
    inlines = [PaymentEventInline]


@admin.register(Refund)
class RefundAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("refund_no", "payment", "amount", "status", "restock", "created_at")
    list_filter = ("status", "manual", "restock")
    search_fields = ("refund_no", "payment__number")
    list_select_related = ("payment",)
    inlines = [RefundLineInline, RefundEventInline]


@admin.register(PaymentNotice)
class PaymentNoticeAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("received_at", "gateway", "via", "out_trade_no", "verified", "action",
                    "needs_review")  # fmt: skip
    list_filter = ("gateway", "via", "verified", "action", "needs_review")
    search_fields = ("out_trade_no", "refund_no", "notice_id")
