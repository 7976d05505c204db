"""Customers (客户查询) for customer service: the number a caller gives leads to their
account, and the account to their whole story (customer_story.py). Phone numbers, names
and street addresses are masked for staff without `core.view_full_phone`."""

from django import forms
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mercato.service.callbacks import callbacks_of
from mercato.service.story import customer_story, find_by_phone

from .access import staff_view

VIEW = "customers.view_customer"


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
