from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .models import User


@admin.register(User)
class MercatoUserAdmin(UserAdmin):
    list_display = ("username", "display_name", "email", "is_staff", "is_active", "last_login")
    fieldsets = (*UserAdmin.fieldsets, ("Mercato", {"fields": ("display_name", "phone")}))
