from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from . import masking
from .models import User

_MASKS = {
    "phone": masking.mask_phone,
    "address": lambda value: masking.mask_text(value, keep=4),
    "name": lambda value: masking.mask_text(value, keep=1),
    "login": lambda value: masking.mask_phone(value) if masking.looks_like_mobile(value) else value,
}


class PersonalDataAdminMixin:
    """Fields holding a customer's phone, address or name are shown masked (read-only) in
    Django's admin to users without `core.view_full_phone`, on the list and the form.

    `personal_fields = {"mobile": "phone", "detail": "address", "recipient": "name"}`.
    """

    personal_fields: dict[str, str] = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name, kind in cls.personal_fields.items():
            setattr(cls, f"masked_{name}", _masked_display(name, _MASKS[kind]))

    def _masks(self, request) -> bool:
        return bool(self.personal_fields) and not masking.may_see_personal_data(request.user)

    def _swap(self, names):
        return [f"masked_{n}" if n in self.personal_fields else n for n in names]

    def get_exclude(self, request, obj=None):
        exclude = list(super().get_exclude(request, obj) or ())
        return [*exclude, *self.personal_fields] if self._masks(request) else exclude

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if self._masks(request):
            readonly += [f"masked_{n}" for n in self.personal_fields]
        return readonly

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if not self._masks(request):
            return fieldsets
        return [
            (title, {**options, "fields": self._swap(options.get("fields", ()))})
            for title, options in fieldsets
        ]

    def get_list_display(self, request):
        names = super().get_list_display(request)
        return self._swap(names) if self._masks(request) else names


def _masked_display(name: str, mask):
    def display(self, obj):
        return mask(getattr(obj, name, "") or "")

    display.short_description = name.replace("_", " ")
    return display


@admin.register(User)
class MercatoUserAdmin(PersonalDataAdminMixin, UserAdmin):
    list_display = ("username", "display_name", "email", "is_staff", "is_active", "last_login")
    fieldsets = (*UserAdmin.fieldsets, (_("Mercato"), {"fields": ("display_name", "phone")}))
    personal_fields = {"username": "login", "phone": "phone"}
