"""Suppliers in the procurement workspace (供应商): the list with documents about to
expire, one supplier (record, contacts, qualification documents, price list and its XLSX
import, performance), the supplier form. Bank details are shown in full only to finance
and procurement leads (procurement.view_bank_details); others neither see nor change them.
"""

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from mercato.catalog.models import Category, Sku
from mercato.core.errors import DomainError
from mercato.procurement import pricelists, selectors, suppliers
from mercato.procurement.models import Supplier

from .access import staff_view
from .messages_i18n import act, add_errors_to_form, refused

VIEW = "procurement.view_supplier"
CHANGE = "procurement.change_supplier"
PAGE_SIZE = 50


class SupplierForm(forms.Form):
    code = forms.SlugField(label=gettext_lazy("Supplier code"), max_length=20)
    name = forms.CharField(label=gettext_lazy("Company name"), max_length=100)
    uscc = forms.CharField(
        label=gettext_lazy("Unified social credit code"), max_length=20,
        help_text=gettext_lazy("18 characters, as on the business licence"),
    )  # fmt: skip
    address = forms.CharField(label=gettext_lazy("Address"), max_length=200, required=False)
    bank_name = forms.CharField(label=gettext_lazy("Bank"), max_length=100, required=False)
    bank_account = forms.CharField(
        label=gettext_lazy("Bank account"), max_length=40, required=False
    )
    categories = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Categories supplied"), queryset=Category.objects.none(),
        required=False,
    )  # fmt: skip
    is_active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True)
    note = forms.CharField(label=gettext_lazy("Note"), max_length=200, required=False)

    def __init__(self, *args, bank: bool, editing: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["categories"].queryset = Category.objects.filter(depth__lte=2).order_by("path")
        if not bank:
            del self.fields["bank_name"], self.fields["bank_account"]
        if editing:
            self.fields["code"].disabled = True


def _supplier(supplier_id: int) -> Supplier:
    supplier = Supplier.objects.filter(pk=supplier_id).prefetch_related("categories").first()
    if supplier is None:
        raise Http404("No such supplier")
    return supplier


@staff_view(VIEW)
def supplier_list(request):
    q = request.GET.get("q", "").strip()
    page = Paginator(selectors.supplier_rows(q=q), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "q": q,
        "expiring": list(selectors.expiring_documents()[:50]),
        "today": timezone.localdate(),
        "may_change": request.user.has_perm(CHANGE),
        "may_add": request.user.has_perm("procurement.add_supplier"),
    }
    return render(request, "backoffice/procurement/supplier_list.html", context)


@staff_view("procurement.add_supplier")
def supplier_create(request):
    bank = selectors.may_see_bank_details(request.user)
    form = SupplierForm(request.POST or None, bank=bank, editing=False)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        categories = [c.pk for c in data.pop("categories")]
        try:
            supplier = suppliers.create_supplier(
                actor=request.user, category_ids=categories, **data
            )
        except DomainError as exc:
            add_errors_to_form(form, exc)
        else:
            messages.success(request, _("Supplier created."))
            return redirect("backoffice:supplier_detail", supplier_id=supplier.pk)
    status = 400 if form.errors else 200
    return render(
        request, "backoffice/procurement/supplier_form.html", {"form": form}, status=status
    )


@staff_view(CHANGE)
def supplier_edit(request, supplier_id: int):
    supplier = _supplier(supplier_id)
    bank = selectors.may_see_bank_details(request.user)
    initial = {name: getattr(supplier, name) for name in SupplierForm.base_fields}
    initial["categories"] = list(supplier.categories.all())
    form = SupplierForm(request.POST or None, initial=initial, bank=bank, editing=True)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data.pop("code")
        categories = [c.pk for c in data.pop("categories")]
        try:
            suppliers.update_supplier(
                actor=request.user, supplier_id=supplier.pk, category_ids=categories, **data
            )
        except DomainError as exc:
            add_errors_to_form(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("backoffice:supplier_detail", supplier_id=supplier.pk)
    context = {"form": form, "supplier": supplier}
    return render(
        request, "backoffice/procurement/supplier_form.html", context,
        status=400 if form.errors else 200,
    )  # fmt: skip


@staff_view(VIEW)
def supplier_detail(request, supplier_id: int):
    supplier = _supplier(supplier_id)
    user = request.user
    performance = selectors.supplier_performance(supplier_id=supplier.pk)
    context = {
        "supplier": supplier,
        "bank_account": selectors.bank_account_for(user, supplier.bank_account),
        "contacts": list(supplier.contacts.all()),
        "documents": list(supplier.documents.all()),
        "expiring_ids": {d.pk for d in selectors.expiring_documents().filter(supplier=supplier)},
        "prices": list(selectors.price_list(supplier_id=supplier.pk)[:500]),
        "performance": performance,
        "percent": {
            name: None if value is None else (value * 100).quantize(Decimal("0.1"))
            for name, value in (
                ("on_time", performance.on_time_rate),
                ("rejects", performance.reject_rate),
                ("vs_market", performance.price_vs_market),
            )
        },
        "orders": list(selectors.order_rows().filter(supplier=supplier)[:20]),
        "may_change": user.has_perm(CHANGE),
        "import_errors": request.session.pop(f"pricelist-errors-{supplier.pk}", None),
    }
    return render(request, "backoffice/procurement/supplier_detail.html", context)


def _back(supplier_id):
    return redirect("backoffice:supplier_detail", supplier_id=supplier_id)


@require_POST
@staff_view(CHANGE)
def supplier_contact_add(request, supplier_id: int):
    post = request.POST
    return act(
        request,
        lambda: suppliers.add_contact(
            actor=request.user,
            supplier_id=supplier_id,
            name=post.get("name", ""),
            role=post.get("role", ""),
            phone=post.get("phone", ""),
            email=post.get("email", ""),
        ),  # fmt: skip
        _("Contact added."),
        _back(supplier_id),
    )


class DocumentForm(forms.Form):
    kind = forms.CharField(max_length=60)
    number = forms.CharField(max_length=60, required=False)
    expires_on = forms.DateField()


@require_POST
@staff_view(CHANGE)
def supplier_document_add(request, supplier_id: int):
    form = DocumentForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the document's name and its expiry date (2026-12-31)."))
        return _back(supplier_id)
    return act(
        request,
        lambda: suppliers.add_document(
            actor=request.user, supplier_id=supplier_id, **form.cleaned_data
        ),
        _("Document added."),
        _back(supplier_id),
    )


class PriceForm(forms.Form):
    sku_code = forms.CharField(max_length=40)
    price = forms.CharField(max_length=20)
    min_quantity = forms.CharField(max_length=10, required=False)
    valid_from = forms.DateField()
    valid_to = forms.DateField(required=False)


@require_POST
@staff_view(CHANGE)
def supplier_price_add(request, supplier_id: int):
    form = PriceForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the SKU code, the price and the start date (2026-01-31)."))
        return _back(supplier_id)
    data = form.cleaned_data
    sku = Sku.objects.filter(code=data["sku_code"].strip()).first()
    if sku is None:
        messages.error(request, _("Unknown SKU code: %(v)s") % {"v": data["sku_code"]})
        return _back(supplier_id)
    return act(
        request,
        lambda: suppliers.set_price(
            actor=request.user,
            supplier_id=supplier_id,
            sku_id=sku.pk,
            price=data["price"],
            min_quantity=data["min_quantity"] or 1,
            valid_from=data["valid_from"],
            valid_to=data["valid_to"],
        ),  # fmt: skip
        _("Price saved."),
        _back(supplier_id),
    )


@require_POST
@staff_view(CHANGE)
def supplier_price_import(request, supplier_id: int):
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("Choose an XLSX file."))
        return _back(supplier_id)
    try:
        result = pricelists.import_price_list(
            actor=request.user, supplier_id=supplier_id, upload=upload, filename=upload.name
        )
    except DomainError as exc:
        return refused(request, exc, _back(supplier_id))
    if result.errors:
        messages.error(request, _("Nothing was imported: the file has errors."))
        request.session[f"pricelist-errors-{supplier_id}"] = result.errors[:200]
    else:
        messages.success(request, _("%(n)s prices imported.") % {"n": result.saved})
    return _back(supplier_id)
