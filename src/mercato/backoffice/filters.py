"""List filters (django-filter) for the product list and the audit log."""

import django_filters
from auditlog.models import LogEntry
from django import forms
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from mercato.catalog.models import Brand, Category, Product, ProductStatus, Sku

from .markup import option_tags
from .selectors import IDEOGRAPHIC_SPACE, filter_options


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        # Indent by depth so the tree reads in a plain <select>.
        return IDEOGRAPHIC_SPACE * (obj.depth - 1) + obj.name


class CategoryFilter(django_filters.ModelChoiceFilter):
    field_class = CategoryChoiceField


class ProductFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"), method="search", help_text=_("Name, product code or SKU code")
    )
    category = CategoryFilter(
        label=_("Category"),
        queryset=Category.objects.order_by("path"),
        method="in_category",
        empty_label=_("All categories"),
    )
    brand = django_filters.ModelChoiceFilter(
        label=_("Brand"), queryset=Brand.objects.order_by("name"), empty_label=_("All brands")
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=ProductStatus.choices, empty_label=_("Any status")
    )
    price_min = django_filters.NumberFilter(
        label=_("Lowest price from"), field_name="min_price", lookup_expr="gte", min_value=0
    )
    price_max = django_filters.NumberFilter(
        label=pgettext_lazy("price range", "to"),
        field_name="min_price",
        lookup_expr="lte",
        min_value=0,
    )
    sort = django_filters.OrderingFilter(
        label=_("Sort by"),
        fields=(
            ("id", "id"),
            ("name", "name"),
            ("code", "code"),
            ("min_price", "price"),
            ("updated_at", "updated"),
        ),
        field_labels={
            "id": _("Created"),
            "name": _("Name"),
            "code": _("Product code"),
            "min_price": _("Price"),
            "updated_at": _("Last change"),
        },
        empty_label=_("Newest first"),
    )

    class Meta:
        model = Product
        fields: list[str] = []

    def plain_options(self) -> dict[str, str]:
        """The category and brand <option>s, written beforehand, for `{% field_widget %}`.

        Only the page that renders the form needs them (cached, see selectors.py); validating
        a chosen value still looks the row up by its id.
        """
        fields = self.form.fields
        options = filter_options()
        return {
            name: option_tags([("", fields[name].empty_label)]) + options[name]
            for name in ("category", "brand")
        }

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        sku_match = Sku.objects.filter(code__icontains=value).values("product_id")
        return queryset.filter(
            Q(name__icontains=value) | Q(code__icontains=value) | Q(pk__in=sku_match)
        )

    def in_category(self, queryset, name, value):
        # The category and every category below it: their paths share its prefix.
        return queryset.filter(category__path__startswith=value.path)


class AuditFilter(django_filters.FilterSet):
    actor = django_filters.CharFilter(
        label=_("Actor (username)"), field_name="actor__username", lookup_expr="iexact"
    )
    content_type = django_filters.ModelChoiceFilter(
        label=_("Object type"),
        queryset=ContentType.objects.filter(
            app_label__in=["catalog", "staff", "core", "inventory", "customers"]
        ).order_by("app_label", "model"),
        empty_label=_("Any type"),
    )
    action = django_filters.ChoiceFilter(
        label=pgettext_lazy("audit log column", "Action"),
        choices=LogEntry.Action.choices,
        empty_label=_("Any action"),
    )
    object_pk = django_filters.CharFilter(label=_("Object id"), field_name="object_pk")
    since = django_filters.DateFilter(
        label=_("From"),
        field_name="timestamp",
        lookup_expr="date__gte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    until = django_filters.DateFilter(
        label=_("Until"),
        field_name="timestamp",
        lookup_expr="date__lte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = LogEntry
        fields: list[str] = []
