"""Customers (客户查询) for customer service: the number a caller gives leads to their
account, and the account to their whole story (customer_story.py). Phone numbers, names
and street addresses are masked for staff without `core.view_full_phone`."""

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mercato.core.errors import DomainError
from mercato.customers import points
from mercato.customers.models import Customer
from mercato.customers.selectors import points_ledger
from mercato.service.callbacks import callbacks_of
from mercato.service.story import customer_story, find_by_phone

from .access import forbidden, staff_view
from .messages_i18n import add_errors_to_form

VIEW = "customers.view_customer"
ADJUST = "customers.change_customer"
LEDGER_ROWS = 100


class PhoneForm(forms.Form):
    phone = forms.CharField(
        label=gettext_lazy("Caller's mobile number"),
        max_length=30,
        help_text=gettext_lazy("As the caller says it: 138 0013 8000, +86 13800138000 …"),
    )


@staff_view(VIEW)
def customer_search(request):
    """Find by phone: one account opens at once; several, or guest orders only, are listed."""
    form = PhoneForm(request.GET or None)
    found = None
    if form.is_bound and form.is_valid():
        found = find_by_phone(form.cleaned_data["phone"])
        if found is None:
            form.add_error("phone", _("Enter a mainland China mobile number (11 digits)."))
        elif len(found.customers) == 1:
            return redirect("backoffice:customer_detail", customer_id=found.customers[0].pk)
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request, "backoffice/customers/search.html", {"form": form, "found": found}, status=status
    )


@staff_view(VIEW)
def customer_detail(request, customer_id: int):
    story = customer_story(customer_id=customer_id)
    if story is None:
        raise Http404("No such customer")
    context = {"story": story, "c": story.customer}
    if request.user.has_perm("service.view_callback"):
        context["callbacks"] = callbacks_of(customer_id=customer_id)
    return render(request, "backoffice/customers/detail.html", context)


class PointsAdjustForm(forms.Form):
    points = forms.IntegerField(
        label=gettext_lazy("Points"),
        min_value=-1_000_000,
        max_value=1_000_000,
        help_text=gettext_lazy("Positive to give, negative to take."),
    )
    note = forms.CharField(label=gettext_lazy("Reason"), max_length=200)

    def clean_points(self):
        if self.cleaned_data["points"] == 0:
            raise forms.ValidationError(_("Enter a number of points other than 0."))
        return self.cleaned_data["points"]


@staff_view(VIEW)
def customer_points(request, customer_id: int):
    """A member's points: balance, the ledger, and a manual adjustment with a reason
    (customers.points.adjust; staff holding customers.change_customer)."""
    customer = get_object_or_404(Customer, pk=customer_id)
    may_adjust = request.user.has_perm(ADJUST)
    form = PointsAdjustForm(request.POST or None)
    if request.method == "POST":
        if not may_adjust:
            return forbidden(request)
        if form.is_valid():
            try:
                points.adjust(
                    customer_id=customer.pk,
                    points=form.cleaned_data["points"],
                    note=f"{form.cleaned_data['note']} ({request.user.get_username()})",
                )
            except DomainError as exc:
                add_errors_to_form(form, exc)
            else:
                messages.success(request, _("The points were adjusted."))
                return redirect("backoffice:customer_points", customer_id=customer.pk)
    context = {
        "c": customer,
        "ledger": points_ledger(customer_id=customer.pk, limit=LEDGER_ROWS),
        "form": form if may_adjust else None,
    }
    return render(request, "backoffice/customers/points.html", context)
