from django.contrib import admin

from .models import ApiToken, Department, StaffProfile


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("name", "name_en", "code", "position")
    readonly_fields = ("group",)


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):
    list_display = ("employee_no", "user", "department", "roles", "title")
    list_filter = ("department",)
    search_fields = ("employee_no", "user__username", "user__display_name")
    list_select_related = ("user", "department")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("prefix", "token_hash", "last_used_at")
    list_select_related = ("user",)
