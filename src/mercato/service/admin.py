"""Customer service settings in Django's admin: skill queues and their agents, the SLA
policy, tags, the knowledge base's categories, training courses and quizzes. Tickets and
articles themselves change only through the back office (services)."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext as _

from . import knowledge
from .models import (
    ArticleCategory,
    CallbackScript,
    CourseLesson,
    Option,
    Question,
    QuestionKind,
    Queue,
    QueueMember,
    Quiz,
    SlaPolicy,
    Tag,
    TrainingCourse,
)


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


# The knowledge base's categories and the training courses and quizzes (articles themselves
# are written in the back office, where every save is a version).
@admin.register(ArticleCategory)
class ArticleCategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "position")
    ordering = ("position", "name")

    def save_model(self, request, obj, form, change):
        # Through the service: a renamed category's articles are searched by the new name.
        saved = knowledge.save_category(
            actor=request.user, category_id=obj.pk, name=obj.name, position=obj.position
        )
        obj.pk = saved.pk


class CourseLessonInline(admin.TabularInline):
    model = CourseLesson
    fields = ("position", "article")
    raw_id_fields = ("article",)
    extra = 1


@admin.register(TrainingCourse)
class TrainingCourseAdmin(admin.ModelAdmin):
    list_display = ("title", "is_active", "created_at")
    inlines = [CourseLessonInline]


class QuestionInline(admin.TabularInline):
    model = Question
    fields = ("position", "text", "kind")
    show_change_link = True  # its options are edited on the question's page
    extra = 1


@admin.register(Quiz)
class QuizAdmin(admin.ModelAdmin):
    list_display = ("title", "course", "pass_score")
    inlines = [QuestionInline]


class OptionFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        kept = [
            f.cleaned_data for f in self.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]  # fmt: skip
        right = sum(1 for data in kept if data.get("is_correct"))
        if len(kept) < 2 or right < 1:
            raise forms.ValidationError(_("A question needs two options and a right one."))
        if self.instance.kind == QuestionKind.SINGLE and right != 1:
            raise forms.ValidationError(_("A single-choice question has exactly one right option."))


class OptionInline(admin.TabularInline):
    model = Option
    formset = OptionFormSet
    fields = ("position", "text", "is_correct")
    extra = 2


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ("text", "quiz", "kind")
    inlines = [OptionInline]


@admin.register(CallbackScript)
class CallbackScriptAdmin(admin.ModelAdmin):
    """The callback scripts (回访话术), also edited on the back office's script page."""

    list_display = ("kind", "updated_at")
    fields = ("kind", "script")
