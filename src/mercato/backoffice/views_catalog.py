"""The operations catalogue workspace: product list, product page, SKUs, images, status."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mercato.catalog import services
from mercato.catalog.models import Product, ProductImage, ProductStatus, Sku
from mercato.core.errors import DomainError

from .access import forbidden, staff_view
from .filters import ProductFilter
from .forms_catalog import GenerateSkusForm, ImageForm, ProductForm, SkuForm
from .messages_i18n import add_errors_to_form, message_of
from .product_rows import render_product_rows
from .selectors import product_for_page, product_list_rows, specs_for_category

PAGE_SIZE = 50
ALIASES = {"category_id": "category", "brand_id": "brand"}


@staff_view("catalog.view_product")
def product_list(request):
    """Search, filter, sort and page through products; htmx swaps only the results."""
    product_filter = ProductFilter(request.GET or None, queryset=Product.objects.all())
    page = Paginator(product_filter.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    # Counted on the bare filtered products; only the page's 50 rows are joined and counted.
    rows = page.object_list = list(product_list_rows(page.object_list))
    may_price = request.user.has_perm("catalog.change_price")
    context = {
        "filter": product_filter,
        "page": page,
        "htmx_results": True,
        "may_price": may_price,
        "rows_html": render_product_rows(rows, may_price=may_price),
    }
    if request.htmx and request.htmx.target == "results":
        return render(request, "backoffice/catalog/_product_results.html", context)
    context["select_options"] = product_filter.plain_options()
    return render(request, "backoffice/catalog/product_list.html", context)


@staff_view("catalog.add_product")
def product_create(request):
    form = ProductForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            product = services.create_product(
                actor=request.user, code=form.cleaned_data["code"], **form.service_kwargs()
            )
        except DomainError as exc:
            add_errors_to_form(form, exc, ALIASES)
        else:
            messages.success(request, _("Product created. Now add its SKUs and images."))
            return redirect("backoffice:product_detail", product_id=product.pk)
    status = 400 if form.errors else 200
    return render(request, "backoffice/catalog/product_form.html", {"form": form}, status=status)


def _detail(request, product, *, status=200, **forms):
    """Render the product page; forms passed in (bound, with errors) replace the blank ones."""
    user = request.user
    may_view_cost = user.has_perm("catalog.view_cost_price")
    specs = specs_for_category(product.category)
    context = {
        "product": product,
        "skus": list(product.skus.all()),
        "images": list(product.images.all()),
        "may_edit": user.has_perm("catalog.change_product"),
        "may_price": user.has_perm("catalog.change_price"),
        "may_view_cost": may_view_cost,
        "may_publish": user.has_perm("catalog.publish_product"),
        "statuses": ProductStatus,
        "specs": specs,
        "form": forms.get("form") or ProductForm(initial=ProductForm.initial_for(product)),
        "generate_form": forms.get("generate_form")
        or GenerateSkusForm(specs=specs, may_view_cost=may_view_cost),
        "image_form": forms.get("image_form") or ImageForm(),
    }
    return render(request, "backoffice/catalog/product_detail.html", context, status=status)


def _product_or_404(product_id):
    product = product_for_page(product_id)
    if product is None:
        raise Http404(_("Product not found"))
    return product


@staff_view("catalog.view_product")
def product_detail(request, product_id: int):
    """The product page; POST saves the SPU form (needs catalog.change_product)."""
    product = _product_or_404(product_id)
    if request.method != "POST":
        return _detail(request, product)
    if not request.user.has_perm("catalog.change_product"):
        return forbidden(request)
    form = ProductForm(request.POST)
    if form.is_valid():
        try:
            services.update_product(
                actor=request.user,
                product_id=product.pk,
                code=form.cleaned_data["code"],
                **form.service_kwargs(),
            )
        except DomainError as exc:
            add_errors_to_form(form, exc, ALIASES)
        else:
            messages.success(request, _("Product saved."))
            return redirect("backoffice:product_detail", product_id=product.pk)
    return _detail(request, product, form=form, status=400)


@require_POST
@staff_view("catalog.change_product")
def sku_generate(request, product_id: int):
    """Make one SKU per combination of the chosen spec values (needs change_price too)."""
    if not request.user.has_perm("catalog.change_price"):
        return forbidden(request)
    product = _product_or_404(product_id)
    may_view_cost = request.user.has_perm("catalog.view_cost_price")
    form = GenerateSkusForm(
        request.POST, specs=specs_for_category(product.category), may_view_cost=may_view_cost
    )
    if form.is_valid():
        data = form.cleaned_data
        try:
            created = services.generate_skus(
                actor=request.user,
                product_id=product.pk,
                spec_values=data["spec_values"],
                list_price=data["list_price"],
                cost_price=data.get("cost_price") or 0,
                weight_g=data["weight_g"],
                volume_cm3=data["volume_cm3"],
            )
        except DomainError as exc:
            add_errors_to_form(form, exc, {"specs": None})
        else:
            messages.success(request, _("%(n)d SKU(s) created.") % {"n": len(created)})
            return redirect("backoffice:product_detail", product_id=product.pk)
    return _detail(request, _product_or_404(product_id), generate_form=form, status=400)


@staff_view("catalog.change_product")
def sku_edit(request, sku_id: int):
    """Edit one SKU. Price fields appear (and are accepted) only with catalog.change_price."""
    sku = get_object_or_404(Sku.objects.select_related("product"), pk=sku_id)
    user = request.user
    may_price = user.has_perm("catalog.change_price")
    may_view_cost = user.has_perm("catalog.view_cost_price")
    if (
        request.method == "POST"
        and not may_price
        and ("list_price" in request.POST or "cost_price" in request.POST)
    ):
        # A price posted by someone who may not change prices: refuse the whole request.
        return forbidden(request, _("You may not change prices."))
    initial = {f: getattr(sku, f) for f in services.products.SKU_FIELDS}
    form = SkuForm(
        request.POST or None,
        initial=initial,
        may_change_price=may_price,
        may_view_cost=may_view_cost,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.update_sku(actor=user, sku_id=sku.pk, **form.cleaned_data)
        except DomainError as exc:
            add_errors_to_form(form, exc)
        else:
            messages.success(request, _("SKU %(code)s saved.") % {"code": sku.code})
            return redirect("backoffice:product_detail", product_id=sku.product_id)
    return render(
        request,
        "backoffice/catalog/sku_form.html",
        {"form": form, "sku": sku, "may_view_cost": may_view_cost},
        status=400 if form.errors else 200,
    )


@require_POST
@staff_view("catalog.change_product")
def image_upload(request, product_id: int):
    form = ImageForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.add_product_image(
                actor=request.user,
                product_id=product_id,
                upload=form.cleaned_data["image"],
                alt=form.cleaned_data["alt"],
            )
        except DomainError as exc:
            add_errors_to_form(form, exc)
        else:
            messages.success(request, _("Image added."))
            return redirect("backoffice:product_detail", product_id=product_id)
    return _detail(request, _product_or_404(product_id), image_form=form, status=400)


@require_POST
@staff_view("catalog.change_product")
def image_delete(request, image_id: int):
    image = get_object_or_404(ProductImage, pk=image_id)
    services.delete_product_image(actor=request.user, image_id=image.pk)
    messages.success(request, _("Image deleted."))
    return redirect("backoffice:product_detail", product_id=image.product_id)


@require_POST
@staff_view("catalog.publish_product")
def product_status(request, product_id: int):
    """Publish, take off the shelf or back to draft; the service's refusal is shown as is."""
    try:
        product = services.set_product_status(
            actor=request.user, product_id=product_id, status=request.POST.get("status", "")
        )
    except DomainError as exc:
        if exc.code == "not_found":
            raise Http404(_("Product not found")) from None
        messages.error(request, message_of(exc))
    else:
        messages.success(
            request,
            _("Status is now: %(status)s") % {"status": product.get_status_display()},
        )
    return redirect("backoffice:product_detail", product_id=product_id)
