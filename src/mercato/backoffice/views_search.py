"""Search for operations (网站运营部): synonyms, hot searches, what customers did not find."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from mercato.core.errors import DomainError
from mercato.search import querylog, services
from mercato.search.models import HiddenHotSearch, SynonymGroup

from .access import staff_view
from .messages_i18n import message_of

PERM = "search.manage_search"
REPORT_DAYS = 30
REPORT_ROWS = 100


class SynonymForm(forms.Form):
    terms = forms.CharField(
        label=gettext_lazy("Words that mean the same"),
        max_length=400,
        help_text=gettext_lazy("Separate them with = or commas, e.g. 手机 = 移动电话"),
    )
    note = forms.CharField(label=gettext_lazy("Note"), max_length=200, required=False)


@staff_view(PERM)
def search_overview(request):
    hidden = set(HiddenHotSearch.objects.values_list("query", flat=True))
    popular = list(querylog.search_report(days=7)[:REPORT_ROWS])
    for row in popular:
        row["hidden"] = row["query"] in hidden
    return render(
        request,
        "backoffice/search/overview.html",
        {
            "groups": SynonymGroup.objects.all(),
            "form": SynonymForm(),
            "hot": querylog.hot_searches(),
            "popular": popular,
            "zero": querylog.search_report(days=REPORT_DAYS, zero_only=True)[:REPORT_ROWS],
            "report_days": REPORT_DAYS,
        },
    )


@require_POST
@staff_view(PERM)
def synonym_save(request, group_id: int | None = None):
    form = SynonymForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter at least two words."))
        return redirect("backoffice:search_overview")
    try:
        services.save_synonym_group(
            actor=request.user,
            group_id=group_id,
            terms=form.cleaned_data["terms"],
            note=form.cleaned_data["note"],
        )
    except DomainError as exc:
        messages.error(request, message_of(exc))
    else:
        messages.success(request, _("Synonyms saved."))
    return redirect("backoffice:search_overview")


@require_POST
@staff_view(PERM)
def synonym_delete(request, group_id: int):
    try:
        services.delete_synonym_group(actor=request.user, group_id=group_id)
    except DomainError as exc:
        messages.error(request, message_of(exc))
    else:
        messages.success(request, _("Synonym group deleted."))
    return redirect("backoffice:search_overview")


@require_POST
@staff_view(PERM)
def hot_search_toggle(request):
    try:
        services.set_hot_search_hidden(
            actor=request.user,
            query=request.POST.get("query", ""),
            hidden=request.POST.get("hidden") == "1",
        )
    except DomainError as exc:
        messages.error(request, message_of(exc))
    return redirect("backoffice:search_overview")
