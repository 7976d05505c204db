from django import forms
from django.contrib.auth import password_validation
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from mercato.staff import roles
from mercato.staff.models import Department


def role_choices(*, may_grant_sysadmin: bool):
    # Granting the superuser-style role is itself a superuser's decision, not HR's alone.
    return [
        (code, roles.role_label(code))
        for code in roles.ROLES
        if code != "sysadmin" or may_grant_sysadmin
    ]


class DepartmentField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        # The department's name in the page's language, as the top bar names it.
        return obj.name_en if get_language() == "en" else obj.name


class StaffEditForm(forms.Form):
    department = DepartmentField(
        label=_("Department"),
        queryset=Department.objects.order_by("position"),
        to_field_name="code",
    )
    roles = forms.MultipleChoiceField(
        label=_("Extra roles"), required=False, widget=forms.CheckboxSelectMultiple
    )
    title = forms.CharField(label=_("Job title"), max_length=60, required=False)
    is_active = forms.BooleanField(label=_("Account active"), required=False)

    def __init__(self, *args, may_grant_sysadmin: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["roles"].choices = role_choices(may_grant_sysadmin=may_grant_sysadmin)


class StaffCreateForm(StaffEditForm):
    username = forms.CharField(label=_("Username"), max_length=150)
    password = forms.CharField(label=_("Initial password"), widget=forms.PasswordInput)
    employee_no = forms.CharField(label=_("Employee number"), max_length=20)
    display_name = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=60)
    email = forms.EmailField(label=_("Email"), required=False)
    phone = forms.CharField(label=_("Mobile number"), max_length=20, required=False)

    field_order = ["username", "password", "employee_no", "display_name", "email", "phone",
                   "department", "roles", "title"]  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["is_active"]

    def clean_password(self):
        password = self.cleaned_data["password"]
        password_validation.validate_password(password)
        return password
