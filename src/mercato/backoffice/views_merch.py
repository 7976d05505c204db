"""Home-page slots (网站运营部): banners, featured products, category blocks, with schedules."""

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from mercato.catalog import services
from mercato.catalog.models import HomeSlot
from mercato.core.errors import DomainError

from .access import staff_view
from .messages_i18n import add_errors_to_form, message_of

PERM = "catalog.manage_merchandising"


class SlotForm(forms.ModelForm):
    product_code = forms.CharField(
        label=gettext_lazy("Product code (featured)"), max_length=40, required=False
    )

    class Meta:
        model = HomeSlot
        fields = [
            "kind", "title", "subtitle", "link", "category", "position", "starts_at", "ends_at",
            "is_active", "image",
        ]  # fmt: skip
        # HomeSlot's links carry no verbose_name of their own.
        labels = {"category": gettext_lazy("Category (block)")}
        widgets = {
            "starts_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
            "ends_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = self.fields["category"].queryset.filter(depth=1)
        if self.instance.product_id:
            self.initial["product_code"] = self.instance.product.code


def _fields(form: SlotForm) -> dict:
    from mercato.catalog.models import Product

    data = dict(form.cleaned_data)
    image = data.pop("image", None) or None
    code = data.pop("product_code", "").strip()
    category = data.pop("category", None)
    data["category_id"] = category.pk if category else None
    data["product_id"] = (
        Product.objects.filter(code=code).values_list("pk", flat=True).first() or -1
        if code
        else None
    )
    return {"image": image if hasattr(image, "read") else None, **data}


@staff_view(PERM)
def slot_list(request):
    form = SlotForm()
    if request.method == "POST":
        form = SlotForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                services.create_home_slot(actor=request.user, **_fields(form))
            except DomainError as exc:
                add_errors_to_form(form, exc)
            else:
                messages.success(request, _("The slot was saved."))
                return redirect("backoffice:merch_slots")
    slots = HomeSlot.objects.select_related("product", "category").order_by(
        "kind", "position", "id"
    )
    return render(request, "backoffice/merch/slots.html", {"form": form, "slots": slots})


@staff_view(PERM)
def slot_edit(request, slot_id: int):
    slot = get_object_or_404(HomeSlot, pk=slot_id)
    form = SlotForm(instance=slot)
    if request.method == "POST":
        form = SlotForm(request.POST, request.FILES, instance=HomeSlot.objects.get(pk=slot_id))
        if form.is_valid():
            try:
                services.update_home_slot(actor=request.user, slot_id=slot_id, **_fields(form))
            except DomainError as exc:
                add_errors_to_form(form, exc)
            else:
                messages.success(request, _("The slot was saved."))
                return redirect("backoffice:merch_slots")
    return render(request, "backoffice/merch/slot_edit.html", {"form": form, "slot": slot})


@require_POST
@staff_view(PERM)
def slot_delete(request, slot_id: int):
    try:
        services.delete_home_slot(actor=request.user, slot_id=slot_id)
    except DomainError as exc:
        messages.error(request, message_of(exc))
    else:
        messages.success(request, _("The slot was deleted."))
    return redirect("backoffice:merch_slots")
