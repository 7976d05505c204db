"""Forms of the customer account pages. They check shapes; the customers services check rules
and their ValidationFailed errors are put back on the fields they name."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from mercato.core.errors import ValidationFailed
from mercato.customers.models import Gender
from mercato.customers.phones import normalize_cn_mobile
from mercato.customers.selectors import cities_of, districts_of, region_tree


def add_service_errors(form: forms.Form, exc: ValidationFailed) -> None:
    """Show a service's field errors on the form; unknown fields become form-wide errors."""
    for field, messages in exc.field_errors.items():
        for message in messages:
            form.add_error(field if field in form.fields else None, str(message))


class AccountForm(forms.Form):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")  # labels sit above the fields: no colon
        super().__init__(*args, **kwargs)


class MobileField(forms.CharField):
    default_error_messages = {
        "invalid": _("Enter a valid mainland China mobile number, e.g. 13812345678."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Mobile number"))
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault(
            "widget",
            forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel", "maxlength": 20}),
        )
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return value
        normalized = normalize_cn_mobile(value)
        if normalized is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return normalized


def code_field(required=True) -> forms.CharField:
    return forms.CharField(
        label=_("SMS code"),
        max_length=6,
        required=required,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": 6}
        ),
    )


def password_field(label=None, required=True, new=False) -> forms.CharField:
    return forms.CharField(
        label=label or _("Password"),
        required=required,
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(
            attrs={"autocomplete": "new-password" if new else "current-password"}
        ),
    )


class MobileSignUpForm(AccountForm):
    mobile = MobileField()
    code = code_field(required=False)
    password = password_field(
        label=_("Password (optional: without one, log in by SMS code)"), required=False, new=True
    )
    name = forms.CharField(label=_("Name (optional)"), max_length=40, required=False)


class EmailSignUpForm(AccountForm):
    email = forms.EmailField(label=_("Email address"), max_length=254)
    password = password_field(new=True)
    name = forms.CharField(label=_("Name (optional)"), max_length=40, required=False)


class PasswordLogInForm(AccountForm):
    login = forms.CharField(
        label=_("Mobile number or email address"),
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )
    password = password_field()


class CodeLogInForm(AccountForm):
    mobile = MobileField()
    code = code_field(required=False)


class CodeResetForm(AccountForm):
    mobile = MobileField()
    code = code_field(required=False)
    password = password_field(label=_("New password"), required=False, new=True)


class EmailResetForm(AccountForm):
    email = forms.EmailField(label=_("Email address"), max_length=254)


class SetPasswordForm(AccountForm):
    password = password_field(label=_("New password"), new=True)


class ProfileForm(AccountForm):
    name = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=40, required=False)
    gender = forms.ChoiceField(label=_("Gender"), choices=Gender.choices)
    birthday = forms.DateField(
        label=_("Birthday"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    email = forms.EmailField(label=_("Email address"), max_length=254, required=False)


def _choices(values, empty) -> list[tuple[str, str]]:
    return [("", empty), *((v, v) for v in values)]


class AddressForm(AccountForm):
    recipient = forms.CharField(label=_("Recipient"), max_length=40)
    mobile = MobileField()
    province = forms.ChoiceField(label=_("Province"))
    city = forms.ChoiceField(label=_("City"))
    district = forms.ChoiceField(label=_("District"))
    detail = forms.CharField(label=_("Street address"), max_length=200, widget=forms.TextInput())
    postcode = forms.RegexField(
        label=_("Postcode"),
        regex=r"^\d{6}$",
        required=False,
        error_messages={"invalid": _("A postcode has 6 digits.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "maxlength": 6}),
    )
    is_default = forms.BooleanField(label=_("Default address"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The city and district choices follow the province and city chosen (or pasted).
        source = self.data if self.is_bound else self.initial
        province = source.get("province") or ""
        city = source.get("city") or ""
        self.fields["province"].choices = _choices(region_tree(), _("Province"))
        self.fields["city"].choices = _choices(cities_of(province), _("City"))
        self.fields["district"].choices = _choices(districts_of(province, city), _("District"))
        for name in ("province", "city", "district"):
            self.fields[name].error_messages["invalid_choice"] = {
                "province": _("Choose a province."),
                "city": _("Choose a city in this province."),
                "district": _("Choose a district in this city."),
            }[name]
