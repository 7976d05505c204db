"""Customer service settings in Django's admin: skill queues and their agents, the SLA
policy, tags. Tickets themselves change only through the back office (services)."""

from django.contrib import admin

from .models import CallbackScript, Queue, QueueMember, SlaPolicy, Tag


class QueueMemberInline(admin.TabularInline):
    model = QueueMember
    fields = ("user", "active")
    autocomplete_fields = ()
    extra = 1


@admin.register(Queue)
class QueueAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "mode", "is_default", "categories")
    fields = ("code", "name", "categories", "mode", "is_default")
    inlines = [QueueMemberInline]


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = ("priority", "category", "first_response_minutes", "resolution_minutes")
    list_filter = ("priority",)


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ("name",)


@admin.register(CallbackScript)
class CallbackScriptAdmin(admin.ModelAdmin):
    """The callback scripts (回访话术), also edited on the back office's script page."""

    list_display = ("kind", "updated_at")
    fields = ("kind", "script")
