"""Carts: a guest's (by session key) or a customer's (one each), and their lines."""

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class CartPurpose(models.TextChoices):
    SHOP = "shop", _("Shopping cart")
    # Customer service builds an order taken by phone (电话下单) in a cart of its own, so
    # the customer's shopping cart is left as it is; it is placed like any cart.
    PHONE = "phone", _("Phone order")


class Cart(models.Model):
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="carts",
        verbose_name=_("customer"),
    )
    # A guest's cart is found by the session key; a member's by the customer. No index of
    # its own: every look-up by key is a guest's (customer IS NULL), which the unique
    # cart_one_per_guest_session serves; two more index entries per new guest's cart cost
    # PostgreSQL's writes without a query that used them.
    session_key = models.CharField(_("session key"), max_length=40, blank=True)
    purpose = models.CharField(
        _("purpose"), max_length=10, choices=CartPurpose.choices, default=CartPurpose.SHOP
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("cart")
        verbose_name_plural = _("carts")
        constraints = [
            models.CheckConstraint(
                condition=Q(customer__isnull=False) | ~Q(session_key=""),
                name="cart_has_owner",
            ),
            models.UniqueConstraint(
                fields=["customer"],
                condition=Q(customer__isnull=False, purpose="shop"),
                name="cart_one_per_customer",
            ),
            models.UniqueConstraint(
                fields=["session_key"],
                condition=Q(customer__isnull=True),
                name="cart_one_per_guest_session",
            ),
        ]

    def __str__(self) -> str:
        return f"cart {self.pk} ({self.customer_id or 'guest'})"


class CartLine(models.Model):
    # No index of its own: cartline_one_per_sku (cart, sku) starts with the cart.
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="lines", db_index=False)
    sku = models.ForeignKey("catalog.Sku", on_delete=models.CASCADE, related_name="cart_lines")
    quantity = models.PositiveIntegerField(_("quantity"))
    selected = models.BooleanField(_("selected for checkout"), default=True)
    # The unit price the customer last saw: a different list price now means a notice.
    price_seen = models.DecimalField(
        _("price seen"), max_digits=12, decimal_places=2, default=Decimal("0.00")
    )
    added_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        ordering = ["added_at", "id"]
        verbose_name = _("cart line")
        verbose_name_plural = _("cart lines")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="cartline_quantity_gt_0"),
            models.UniqueConstraint(fields=["cart", "sku"], name="cartline_one_per_sku"),
        ]

    def __str__(self) -> str:
        return f"{self.sku_id} × {self.quantity}"


class CartLimit(models.Model):
    """A purchase limit operations set on a SKU (限购); no row means no limit."""

    sku = models.OneToOneField(
        "catalog.Sku", on_delete=models.CASCADE, related_name="cart_limit", verbose_name=_("SKU")
    )
    max_per_order = models.PositiveIntegerField(_("maximum per order"))

    class Meta:
        verbose_name = _("purchase limit")
        verbose_name_plural = _("purchase limits")
        constraints = [
            models.CheckConstraint(condition=Q(max_per_order__gt=0), name="cartlimit_max_gt_0"),
        ]

    def __str__(self) -> str:
        return f"{self.sku_id} ≤ {self.max_per_order}"
