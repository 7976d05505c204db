"""Flash sales (秒杀活动) in the website operations workspace: the list with what each item
sold and has left, a new sale, editing one before it starts, cancelling one. The rules are
promotions.flash (create) and promotions.flash_staff (edit, cancel)."""

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from mercato.catalog.models import Sku
from mercato.core.errors import DomainError, NotFound
from mercato.promotions import flash, flash_staff

from .access import staff_view
from .messages_i18n import add_errors_to_form

VIEW = "promotions.view_promotion"
CHANGE = "promotions.change_promotion"
MAX_ITEMS = 50


class FlashSaleForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    starts_at = forms.DateTimeField(
        label=gettext_lazy("Starts at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    ends_at = forms.DateTimeField(
        label=gettext_lazy("Ends at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    items = forms.CharField(
        label=gettext_lazy("Items"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy(
            "One SKU a line: SKU code, flash price, quantity, limit per customer "
            "(e.g. SKU001 99.00 20 1)."
        ),
    )

    def clean_items(self) -> list[flash.ItemSpec]:
        rows = []
        for n, line in enumerate((self.cleaned_data.get("items") or "").splitlines(), start=1):
            parts = line.replace(",", " ").replace("，", " ").split()
            if not parts:
                continue
            if len(parts) not in (3, 4):
                raise forms.ValidationError(
                    _("Line %(n)d: write SKU code, price, quantity and limit.") % {"n": n}
                )
            limit = parts[3] if len(parts) == 4 else "1"
            if not (parts[2].isdigit() and limit.isdigit()):
                raise forms.ValidationError(
                    _("Line %(n)d: the quantity and the limit are whole numbers.") % {"n": n}
                )
            rows.append((parts[0], parts[1], int(parts[2]), int(limit)))
        if not rows or len(rows) > MAX_ITEMS:
            raise forms.ValidationError(_("List 1 to 50 SKUs."))
        ids = dict(Sku.objects.filter(code__in=[r[0] for r in rows]).values_list("code", "pk"))
        if missing := [r[0] for r in rows if r[0] not in ids]:
            raise forms.ValidationError(
                _("There is no SKU with the code %(codes)s.") % {"codes": "、".join(missing)}
            )
        return [flash.ItemSpec(ids[code], price, qty, limit) for code, price, qty, limit in rows]


def _initial(row: flash_staff.SaleRow) -> dict:
    return {
        "name": row.sale.name,
        "starts_at": row.sale.starts_at,
        "ends_at": row.sale.ends_at,
        "items": "\n".join(
            f"{i.sku.code} {i.price} {i.quantity} {i.per_customer_limit}" for i in row.items
        ),
    }


def _row(sale_id: int) -> flash_staff.SaleRow:
    try:
        return flash_staff.sale_for_staff(sale_id=sale_id)
    except NotFound:
        raise Http404(_("No such flash sale.")) from None


@staff_view(VIEW)
def flash_sale_list(request):
    return render(request, "backoffice/flash/list.html", {"rows": flash_staff.sales_for_staff()})


@staff_view(VIEW)
def flash_sale_detail(request, sale_id: int):
    return render(request, "backoffice/flash/detail.html", {"row": _row(sale_id)})


@staff_view(CHANGE)
def flash_sale_edit(request, sale_id: int | None = None):
    row = _row(sale_id) if sale_id else None
    if row is not None and not row.editable:
        # The sale's page, saying why: it started (or ended) since the link was shown.
        notice = _("A flash sale can only be changed before it starts.")
        return render(
            request, "backoffice/flash/detail.html", {"row": row, "notice": notice}, status=409
        )
    form = FlashSaleForm(request.POST or None, initial=_initial(row) if row else None)
    if request.method == "POST" and form.is_valid():
        fields = form.cleaned_data
        try:
            if row is None:
                sale = flash.create_flash_sale(**fields)
            else:
                sale = flash_staff.update_flash_sale(sale_id=row.sale.pk, **fields)
        except DomainError as exc:
            add_errors_to_form(form, exc)
        else:
            messages.success(request, _("The flash sale was saved."))
            return redirect("backoffice:flash_sale", sale_id=sale.pk)
    return render(request, "backoffice/flash/form.html", {"form": form, "row": row})


@staff_view(CHANGE)
@require_POST
def flash_sale_cancel(request, sale_id: int):
    try:
        flash_staff.cancel_flash_sale(sale_id=sale_id)
    except NotFound:
        raise Http404(_("No such flash sale.")) from None
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The flash sale was cancelled."))
    return redirect("backoffice:flash_sale", sale_id=sale_id)
