"""The knowledge base (咨询手册) and training (培训技巧) in the back office (客服部): articles by
category with a search box, one article with its versions and the difference between two,
writing, publishing and archiving (客户主管), training courses, taking a quiz, and the
supervisor's table of scores. Every change goes through mercato.service.knowledge and
mercato.service.training."""

import secrets

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from mercato.core.errors import DomainError
from mercato.service import knowledge, training
from mercato.service.models import Article, ArticleCategory, ArticleStatus, QuizAttempt

from .access import forbidden, staff_view
from .messages_i18n import act, add_errors_to_form

READ, EDIT = "service.view_article", knowledge.EDIT
TAKE, SCORES = training.TAKE, training.SCORES


class ArticleSearchForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Search"), required=False, max_length=100)
    category = forms.ModelChoiceField(
        label=gettext_lazy("Category"), required=False, queryset=ArticleCategory.objects.all(),
        empty_label=gettext_lazy("Any category"),
    )  # fmt: skip
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False)

    def __init__(self, *args, editor: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if editor:
            self.fields["status"].choices = [("", _("Any status")), *ArticleStatus.choices]
        else:
            del self.fields["status"]  # agents read published articles only


@staff_view(READ)
def article_list(request):
    editor = request.user.has_perm(EDIT)
    form = ArticleSearchForm(request.GET or None, editor=editor)
    data = form.cleaned_data if form.is_valid() else {}
    query = (data.get("q") or "").strip()
    category = data.get("category")
    articles = knowledge.article_list(
        user=request.user, query=query, category_id=category.pk if category else None,
        status=data.get("status") or "",
    )  # fmt: skip
    return render(
        request,
        "backoffice/service/kb_list.html",
        {"form": form, "articles": articles, "query": query, "editor": editor},
    )


def _article(pk: int, user) -> Article:
    article = knowledge.readable_article(user=user, article_id=pk)
    if article is None:
        raise Http404("No such article")
    return article


def _version(article, number):
    versions = {v.number: v for v in article.versions.all()}
    if not str(number or "").isdigit() or int(number) not in versions:
        return None
    return versions[int(number)]


@staff_view(READ)
def article_detail(request, article_id: int):
    article = _article(article_id, request.user)
    shown = _version(article, request.GET.get("version")) or article.current
    versions = list(article.versions.all())
    return render(
        request,
        "backoffice/service/kb_article.html",
        {
            "article": article,
            "shown": shown,
            "versions": versions,
            "editor": request.user.has_perm(EDIT),
            "next_statuses": [
                (s, ArticleStatus(s).label) for s in knowledge.ALLOWED[article.status]
            ],
        },
    )


@staff_view(READ)
def article_diff(request, article_id: int):
    article = _article(article_id, request.user)
    old = _version(article, request.GET.get("a"))
    new = _version(article, request.GET.get("b")) or article.current
    if old is None:
        messages.error(request, _("Choose two versions to compare."))
        return redirect("backoffice:kb_article", article_id=article.pk)
    return render(
        request,
        "backoffice/service/kb_diff.html",
        {"article": article, "old": old, "new": new, "lines": knowledge.diff_versions(old, new)},
    )


class ArticleForm(forms.Form):
    category = forms.ModelChoiceField(
        label=gettext_lazy("Category"), queryset=ArticleCategory.objects.all()
    )
    title = forms.CharField(label=gettext_lazy("Title"), max_length=knowledge.MAX_TITLE)
    body = forms.CharField(
        label=gettext_lazy("Article text"), max_length=knowledge.MAX_BODY,
        widget=forms.Textarea(attrs={"rows": 14}),
    )  # fmt: skip
    note = forms.CharField(
        label=gettext_lazy("Change note"), max_length=knowledge.MAX_NOTE, required=False,
        help_text=gettext_lazy("What changed and why, for the version history"),
    )  # fmt: skip
    base_number = forms.IntegerField(required=False, widget=forms.HiddenInput)


@staff_view(EDIT)
def article_create(request):
    form = ArticleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            article = knowledge.create_article(
                actor=request.user, category_id=data["category"].pk, title=data["title"],
                body=data["body"], note=data["note"],
            )  # fmt: skip
        except DomainError as exc:
            add_errors_to_form(form, exc)
        else:
            messages.success(request, _("Draft saved. Publish it when it is ready."))
            return redirect("backoffice:kb_article", article_id=article.pk)
    return render(request, "backoffice/service/kb_form.html", {"form": form, "article": None})


@staff_view(EDIT)
def article_edit(request, article_id: int):
    article = _article(article_id, request.user)
    initial = {
        "category": article.category_id, "title": article.title, "body": article.body,
        "base_number": article.current.number if article.current else None,
    }  # fmt: skip
    form = ArticleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            knowledge.edit_article(
                actor=request.user, article_id=article.pk, category_id=data["category"].pk,
                title=data["title"], body=data["body"], note=data["note"],
                base_number=data["base_number"],
            )  # fmt: skip
        except DomainError as exc:
            if exc.status == 403:
                return forbidden(request)
            add_errors_to_form(form, exc, aliases={"base_number": None})
        else:
            messages.success(request, _("Saved as a new version."))
            return redirect("backoffice:kb_article", article_id=article.pk)
    return render(request, "backoffice/service/kb_form.html", {"form": form, "article": article})


@require_POST
@staff_view(EDIT)
def article_restore(request, article_id: int):
    number = request.POST.get("number", "")
    return act(
        request,
        lambda: knowledge.restore_version(actor=request.user, article_id=article_id, number=number),
        _("Version %(n)s restored as a new version.") % {"n": number},
        redirect("backoffice:kb_article", article_id=article_id),
    )


@require_POST
@staff_view(EDIT)
def article_status(request, article_id: int):
    status = request.POST.get("status", "")
    return act(
        request,
        lambda: knowledge.set_article_status(
            actor=request.user, article_id=article_id, status=status
        ),
        _("Status changed."),
        redirect("backoffice:kb_article", article_id=article_id),
    )


# Training ----------------------------------------------------------------------------------
@staff_view(READ)
def course_list(request):
    courses, results = training.active_courses(), training.my_results(request.user)
    for course in courses:
        for quiz in course.quizzes.all():
            quiz.result = results.get(quiz.pk)  # the agent's own best, attempts, passed
    return render(
        request,
        "backoffice/service/training_list.html",
        {"courses": courses, "may_see_scores": request.user.has_perm(SCORES)},
    )


def _quiz_form(quiz, data=None):
    """A form with one field per question: radio buttons, or check boxes for a multiple
    choice question (named q<question id>)."""
    form = forms.Form(data)
    for question in quiz.questions.all():
        choices = [(str(o.pk), o.text) for o in question.options.all()]
        # Not required: an unanswered question counts as wrong (service.training).
        if question.kind == "multiple":
            field = forms.MultipleChoiceField(
                label=question.text, choices=choices, required=False,
                widget=forms.CheckboxSelectMultiple, help_text=_("Choose all that apply"),
            )  # fmt: skip
        else:
            field = forms.ChoiceField(
                label=question.text, choices=choices, required=False, widget=forms.RadioSelect
            )
        form.fields[f"q{question.pk}"] = field
    return form


@staff_view(TAKE)
def quiz_take(request, quiz_id: int):
    quiz = training.quiz_with_questions(quiz_id)
    if quiz is None:
        raise Http404("No such quiz")
    form = _quiz_form(quiz, request.POST or None)
    token = request.POST.get("token") or secrets.token_hex(16)
    if request.method == "POST" and form.is_valid():
        answers = {
            name[1:]: value if isinstance(value, list) else [value]
            for name, value in form.cleaned_data.items()
            if value
        }
        try:
            attempt = training.submit_quiz(
                actor=request.user, quiz_id=quiz.pk, answers=answers, token=token
            )
        except DomainError as exc:
            if exc.status == 403:
                return forbidden(request)
            add_errors_to_form(form, exc)
        else:
            return redirect("backoffice:quiz_result", attempt_id=attempt.pk)
    return render(
        request, "backoffice/service/quiz.html", {"quiz": quiz, "form": form, "token": token}
    )


@staff_view(TAKE)
def quiz_result(request, attempt_id: int):
    attempt = (
        QuizAttempt.objects.select_related("quiz__course", "agent").filter(pk=attempt_id).first()
    )
    if attempt is None or (
        attempt.agent_id != request.user.pk and not request.user.has_perm(SCORES)
    ):
        raise Http404("No such attempt")
    quiz = training.quiz_with_questions(attempt.quiz_id, active_only=False)
    rows = []
    for question in quiz.questions.all():
        chosen = set(attempt.answers.get(str(question.pk), []))
        correct = {o.pk for o in question.options.all() if o.is_correct}
        rows.append((question, chosen, chosen == correct))
    return render(
        request, "backoffice/service/quiz_result.html", {"attempt": attempt, "rows": rows}
    )


@staff_view(SCORES)
def training_scores(request):
    quizzes, rows = training.score_table(actor=request.user)
    return render(
        request, "backoffice/service/training_scores.html", {"quizzes": quizzes, "rows": rows}
    )
