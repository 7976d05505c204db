"""Category tree (create, rename, move subtrees), a category's specs and SEO fields, brands."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mercato.catalog import services
from mercato.catalog.models import Brand, Category
from mercato.core.errors import DomainError

from .access import forbidden, staff_view
from .forms_catalog import (
    BrandForm,
    CategoryForm,
    CategoryMoveForm,
    CategorySeoForm,
    CategorySpecsForm,
    format_specs,
)
from .messages_i18n import add_errors_to_form, message_of
from .selectors import bump_catalogue_version, categories_with_counts, specs_for_category


@staff_view("catalog.view_category")
def category_tree(request):
    return render(
        request,
        "backoffice/catalog/category_tree.html",
        {
            "categories": categories_with_counts(),
            "create_form": CategoryForm(),
            "move_form": CategoryMoveForm(),
        },
    )


@require_POST
@staff_view("catalog.add_category")
def category_create(request):
    """A root category, or a child of `parent`."""
    form = CategoryForm(request.POST)
    parent_id = request.POST.get("parent") or None
    if form.is_valid():
        try:
            category = services.create_category(
                actor=request.user,
                name=form.cleaned_data["name"],
                parent_id=int(parent_id) if parent_id and parent_id.isdigit() else None,
            )
        except DomainError as exc:
            messages.error(request, message_of(exc))
        else:
            messages.success(request, _("Category “%(name)s” created.") % {"name": category})
    else:
        messages.error(request, _("A category needs a name"))
    return redirect("backoffice:category_tree")


def _category_or_404(category_id: int) -> Category:
    category = Category.objects.filter(pk=category_id).first()
    if category is None:
        raise Http404(_("Category not found"))
    return category


def _category_page(request, category, *, status=200, **forms):
    """The category page; forms passed in (bound, with errors) replace the blank ones."""
    specs = specs_for_category(category)
    own = [s for s in specs if s.category_id == category.pk]
    context = {
        "category": category,
        "ancestors": list(Category.objects.get_ancestors(category)),
        "own_specs": own,
        "inherited_specs": [s for s in specs if s.category_id != category.pk],
        "may_edit": request.user.has_perm("catalog.change_category"),
        "seo_form": forms.get("seo_form")
        or CategorySeoForm(initial=CategorySeoForm.initial_for(category)),
        "specs_form": forms.get("specs_form")
        or CategorySpecsForm(initial={"specs": format_specs(own)}),
    }
    return render(request, "backoffice/catalog/category_edit.html", context, status=status)


@staff_view("catalog.view_category")
def category_edit(request, category_id: int):
    """A category's page; POST saves its name, slug, active flag and SEO fields."""
    category = _category_or_404(category_id)
    if request.method != "POST":
        return _category_page(request, category)
    if not request.user.has_perm("catalog.change_category"):
        return forbidden(request)
    form = CategorySeoForm(request.POST)
    if form.is_valid():
        try:
            services.update_category(
                actor=request.user, category_id=category.pk, **form.cleaned_data
            )
        except DomainError as exc:
            add_errors_to_form(form, exc)
        else:
            messages.success(request, _("Category saved."))
            return redirect("backoffice:category_edit", category_id=category.pk)
    return _category_page(request, category, seo_form=form, status=400)


@require_POST
@staff_view("catalog.change_category")
def category_specs(request, category_id: int):
    """Replace the category's own specs (name and suggested values, in order)."""
    category = _category_or_404(category_id)
    form = CategorySpecsForm(request.POST)
    if form.is_valid():
        try:
            services.set_category_specs(
                actor=request.user, category_id=category.pk, specs=form.cleaned_data["specs"]
            )
        except DomainError as exc:
            add_errors_to_form(form, exc)
        else:
            messages.success(request, _("Specs saved."))
            return redirect("backoffice:category_edit", category_id=category.pk)
    return _category_page(request, category, specs_form=form, status=400)


@require_POST
@staff_view("catalog.change_category")
def category_rename(request, category_id: int):
    form = CategoryForm(request.POST)
    if form.is_valid():
        try:
            services.update_category(
                actor=request.user, category_id=category_id, name=form.cleaned_data["name"]
            )
        except DomainError as exc:
            messages.error(request, message_of(exc))
        else:
            messages.success(request, _("Category renamed."))
    else:
        messages.error(request, _("A category needs a name"))
    return redirect("backoffice:category_tree")


@require_POST
@staff_view("catalog.change_category")
def category_move(request, category_id: int):
    """Move a subtree: `direction` up/down among its siblings, or beside/into a target."""
    category = get_object_or_404(Category, pk=category_id)
    direction = request.POST.get("direction")
    target, position = None, None
    if direction == "up":
        target, position = Category.objects.get_prev_sibling(category), "left"
    elif direction == "down":
        target, position = Category.objects.get_next_sibling(category), "right"
    else:
        form = CategoryMoveForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Choose a target category and where to put it."))
            return redirect("backoffice:category_tree")
        target, position = form.cleaned_data["target"], form.cleaned_data["position"]
    if target is None:
        messages.info(request, _("The category is already at that end."))
        return redirect("backoffice:category_tree")
    try:
        services.move_category(
            actor=request.user, category_id=category.pk, target_id=target.pk, position=position
        )
    except DomainError as exc:
        messages.error(request, message_of(exc))
    else:
        bump_catalogue_version()  # treebeard's move sends no signal; the filter lists change
        messages.success(request, _("Category “%(name)s” moved.") % {"name": category})
    return redirect("backoffice:category_tree")


@staff_view("catalog.view_brand")
def brand_list(request):
    form = BrandForm(request.POST or None)
    if request.method == "POST":
        if not request.user.has_perm("catalog.add_brand"):
            return forbidden(request)
        if form.is_valid():
            try:
                brand = services.create_brand(actor=request.user, **form.cleaned_data)
            except DomainError as exc:
                form.add_error("name", message_of(exc))
            else:
                messages.success(request, _("Brand “%(name)s” created.") % {"name": brand})
                return redirect("backoffice:brand_list")
    page = Paginator(Brand.objects.order_by("name"), 100).get_page(request.GET.get("page"))
    return render(
        request,
        "backoffice/catalog/brand_list.html",
        {"form": form, "page": page},
        status=400 if form.errors else 200,
    )
