"""The checkout form. It checks shapes; checkout.placement and checkout.services check rules,
and their ValidationFailed errors are put back on the fields they name (forms_account)."""

import re
import uuid
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from mercato.checkout.services import INVOICE_COMPANY, INVOICE_PERSONAL, validate_invoice
from mercato.core.errors import ValidationFailed
from mercato.orders.models import InvoiceType
from mercato.orders.services import DeliveryAddress, Invoice

from .forms_account import AccountForm, AddressForm

NEW_ADDRESS = "new"
KEY_PATTERN = re.compile(r"^[0-9a-f]{32}$")

INVOICE_KINDS = [
    ("", _("No invoice")),
    (InvoiceType.PERSONAL, _("Personal (个人)")),
    (InvoiceType.COMPANY, _("Company (企业)")),
]
# checkout.services.validate_invoice speaks 个人/企业; the order stores personal/company.
_INVOICE_SERVICE_KIND = {
    InvoiceType.PERSONAL: INVOICE_PERSONAL,
    InvoiceType.COMPANY: INVOICE_COMPANY,
}
ADDRESS_FIELDS = ("recipient", "mobile", "province", "city", "district", "detail")


def new_idempotency_key() -> str:
    """A fresh key for one rendering of the checkout page: its POSTs place one order."""
    return uuid.uuid4().hex


def posted_key(data) -> str:
    """The key the page was rendered with, or a new one when it is missing or malformed."""
    key = (data.get("idempotency_key") or "").strip()
    return key if KEY_PATTERN.match(key) else new_idempotency_key()


class CheckoutAddressForm(AddressForm):
    """A new delivery address: the address book's fields, and whether to keep it there."""

    save_address = forms.BooleanField(label=_("Save to my address book"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["is_default"]
        del self.fields["postcode"]

    def delivery_address(self) -> DeliveryAddress:
        data = self.cleaned_data
        return DeliveryAddress(**{k: data[k] for k in ADDRESS_FIELDS})


class CheckoutForm(AccountForm):
    """Everything but the address: invoice, payment method, note, and the two hidden values
    that protect placement (the idempotency key and the total the customer saw)."""

    invoice_kind = forms.ChoiceField(label=_("Invoice"), choices=INVOICE_KINDS, required=False)
    invoice_title = forms.CharField(
        label=_("Invoice title (name or company name)"), max_length=100, required=False
    )
    invoice_tax_id = forms.CharField(
        label=_("Unified social credit code"), max_length=18, required=False
    )
    payment_method = forms.ChoiceField(label=_("Payment method"), widget=forms.RadioSelect)
    note = forms.CharField(
        label=_("Order note (optional)"),
        max_length=200,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": 200}),
    )
    idempotency_key = forms.RegexField(regex=KEY_PATTERN, widget=forms.HiddenInput)
    expected_total = forms.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0"),
        widget=forms.HiddenInput,
        error_messages={
            "required": _("The total is not known yet: choose a delivery address first."),
            "invalid": _("The price has changed; please check the new total and confirm."),
        },
    )

    def __init__(self, *args, methods=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["payment_method"].choices = [(m.code, m.label) for m in methods]
        self.fields["payment_method"].error_messages["required"] = _("Choose a payment method.")

    def clean(self):
        data = super().clean()
        kind = data.get("invoice_kind") or ""
        if kind:
            try:
                cleaned = validate_invoice(
                    kind=_INVOICE_SERVICE_KIND[kind],
                    title=data.get("invoice_title", ""),
                    tax_id=data.get("invoice_tax_id", ""),
                )
            except ValidationFailed as exc:
                for field, messages in exc.field_errors.items():
                    for message in messages:
                        self.add_error(f"invoice_{field}", message)
            else:
                data["invoice_title"], data["invoice_tax_id"] = cleaned["title"], cleaned["tax_id"]
        return data

    def invoice(self) -> Invoice | None:
        data = self.cleaned_data
        if not data.get("invoice_kind"):
            return None
        return Invoice(
            type=data["invoice_kind"], title=data["invoice_title"], tax_id=data["invoice_tax_id"]
        )
