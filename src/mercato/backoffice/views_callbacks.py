"""Callbacks (回访) in the back office (客服部): the list (mine, due today, overdue, with
filters), one callback with its script and the outcome form, and a new callback (from the
customer's page). Every change goes through mercato.service.callbacks; phone numbers are
masked for staff without `core.view_full_phone`."""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST

from mercato.core.errors import DomainError
from mercato.customers.models import Customer
from mercato.service import callbacks
from mercato.service.models import Callback, CallbackKind, CallbackStatus

from .access import forbidden, staff_view
from .messages_i18n import add_errors_to_form, refused
from .views_service import agents

VIEW, ADD, HANDLE = "service.view_callback", "service.add_callback", "service.handle_callback"
SCRIPTS = "service.change_callbackscript"
PAGE_SIZE = 30


class CallbackFilterForm(forms.Form):
    show = forms.ChoiceField(
        label=gettext_lazy("Show"), required=False,
        choices=[
            ("", gettext_lazy("All")), (callbacks.MINE, gettext_lazy("Mine to make")),
            (callbacks.TODAY, gettext_lazy("Due today")),
            (callbacks.OVERDUE, gettext_lazy("Overdue")),
        ],
    )  # fmt: skip
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), required=False)
    agent = forms.ChoiceField(label=gettext_lazy("Agent"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        f = self.fields
        f["status"].choices = [("", _("Any status")), *CallbackStatus.choices]
        f["kind"].choices = [("", _("Any kind")), *CallbackKind.choices]
        f["agent"].choices = [
            ("", _("Anyone")),
            ("none", _("Unassigned")),
            *[(str(u.pk), str(u)) for u in agents()],
        ]


@staff_view(VIEW)
def callback_list(request):
    data = request.GET.copy() if request.GET else {"show": callbacks.MINE}
    form = CallbackFilterForm(data)
    filters = form.cleaned_data if form.is_valid() else {}
    rows = callbacks.callback_list(user=request.user, filters=filters)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "backoffice/service/callbacks.html",
        {"form": form, "page": page, "today": timezone.localdate(),
         "may_add": request.user.has_perm(ADD)},
    )  # fmt: skip


class OutcomeForm(forms.Form):
    result = forms.ChoiceField(
        label=gettext_lazy("Result"), widget=forms.RadioSelect,
        choices=[
            (callbacks.DONE, pgettext_lazy("callback result", "Reached the customer")),
            (callbacks.NO_ANSWER, gettext_lazy("No answer")),
            (callbacks.CANCELLED, pgettext_lazy("callback result", "Cancel the callback")),
        ],
    )  # fmt: skip
    satisfaction = forms.TypedChoiceField(
        label=gettext_lazy("Satisfaction"), required=False, coerce=int, empty_value=None,
        choices=[("", "—"), *[(str(n), str(n)) for n in range(5, 0, -1)]],
        help_text=gettext_lazy("5 very satisfied … 1 very unhappy"),
    )  # fmt: skip
    outcome = forms.CharField(
        label=gettext_lazy("What the customer said"), required=False,
        max_length=callbacks.MAX_OUTCOME, widget=forms.Textarea(attrs={"rows": 4}),
    )  # fmt: skip


def _callback(callback_id: int) -> Callback:
    return get_object_or_404(
        Callback.objects.select_related(
            "agent", "customer", "order", "ticket", "return_request", "follow_up", "created_by"
        ),
        pk=callback_id,
    )


@staff_view(VIEW)
def callback_detail(request, callback_id: int, form=None, status=200):
    callback = _callback(callback_id)
    user = request.user
    may_record = (
        callback.status == CallbackStatus.DUE
        and user.has_perm(HANDLE)
        and (callback.agent_id in (None, user.pk) or user.has_perm(callbacks.SUPERVISE))
    )
    context = {
        "callback": callback,
        "script": callbacks.script_for(callback),
        "form": form or OutcomeForm(initial={"result": callbacks.DONE}),
        "may_record": may_record,
        "bad_score": callbacks.bad_score(),
    }
    return render(request, "backoffice/service/callback.html", context, status=status)


@require_POST
@staff_view(HANDLE)
def callback_outcome(request, callback_id: int):
    form = OutcomeForm(request.POST)
    if not form.is_valid():
        return callback_detail(request, callback_id, form=form, status=400)
    data = form.cleaned_data
    try:
        callback = callbacks.record_outcome(
            actor=request.user, callback_id=callback_id, result=data["result"],
            outcome=data["outcome"], satisfaction=data["satisfaction"],
        )  # fmt: skip
    except DomainError as exc:
        if exc.status in (403, 409):
            return refused(request, exc, redirect("backoffice:callback_detail", callback_id))
        add_errors_to_form(form, exc)
        return callback_detail(request, callback_id, form=form, status=400)
    if callback.follow_up_id:
        messages.warning(
            request,
            _("Outcome saved. A follow-up complaint %(number)s was opened.")
            % {"number": callback.follow_up.number},
        )
    else:
        messages.success(request, _("Outcome saved."))
    return redirect("backoffice:callback_detail", callback_id)


class CallbackForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Why call"), max_length=200)
    due_date = forms.DateField(
        label=gettext_lazy("Call on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    contact_phone = forms.CharField(
        label=gettext_lazy("Phone number to call"), max_length=20, required=False,
        help_text=gettext_lazy("Empty: the customer's mobile number"),
    )  # fmt: skip
    contact_name = forms.CharField(
        label=gettext_lazy("Contact name"), max_length=40, required=False
    )
    order_number = forms.CharField(
        label=gettext_lazy("About the order"), max_length=30, required=False
    )
    agent = forms.ChoiceField(label=gettext_lazy("Agent"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agent"].choices = [("", _("Me")), *[(str(u.pk), str(u)) for u in agents()]]


@staff_view(ADD)
def callback_create(request):
    customer = None
    chosen = request.POST.get("customer") or request.GET.get("customer")
    if str(chosen or "").isdigit():
        customer = Customer.objects.filter(pk=int(chosen)).first()
    initial = {"due_date": timezone.localdate(), "order_number": request.GET.get("order", "")}
    form = CallbackForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            callback = callbacks.create_callback(
                actor=request.user, reason=data["reason"], due_date=data["due_date"],
                customer_id=customer.pk if customer else None,
                contact_phone=data["contact_phone"], contact_name=data["contact_name"],
                order_number=data["order_number"],
                agent_id=int(data["agent"]) if data["agent"] else None,
            )  # fmt: skip
        except DomainError as exc:
            if exc.status == 403:
                return forbidden(request)
            add_errors_to_form(form, exc, aliases={"customer": "contact_phone"})
        else:
            messages.success(request, _("Callback planned."))
            return redirect("backoffice:callback_detail", callback.pk)
    return render(
        request, "backoffice/service/callback_create.html", {"form": form, "customer": customer}
    )


# The braces are filled in by service.callbacks.script_for, by name in English or Chinese.
SCRIPT_HELP = gettext_lazy(
    # xgettext:no-python-brace-format
    "{order}, {ticket}, {return_number}, {reason} and {name} are filled in on the call."
)


class ScriptForm(forms.Form):
    kind = forms.ChoiceField(choices=CallbackKind.choices, widget=forms.HiddenInput)
    script = forms.CharField(
        label=gettext_lazy("Script"), max_length=4000, widget=forms.Textarea(attrs={"rows": 5}),
        help_text=SCRIPT_HELP,
    )  # fmt: skip


@staff_view(SCRIPTS)
def callback_scripts(request):
    """The script of each kind of callback (回访话术), edited by the supervisor; a kind
    without its own script shows the default."""
    posted = ScriptForm(request.POST, auto_id=False) if request.method == "POST" else None
    if posted is not None and posted.is_valid():
        try:
            callbacks.save_script(
                actor=request.user, kind=posted.cleaned_data["kind"],
                script=posted.cleaned_data["script"],
            )  # fmt: skip
        except DomainError as exc:
            add_errors_to_form(posted, exc)
        else:
            messages.success(request, _("Script saved."))
            return redirect("backoffice:callback_scripts")
    forms_ = []
    for kind, label in CallbackKind.choices:
        if posted is not None and posted.data.get("kind") == kind:
            form = posted
        else:
            text = callbacks.script_text(kind)
            form = ScriptForm(initial={"kind": kind, "script": text}, auto_id=False)
        forms_.append((kind, label, form))
    status = 400 if posted is not None else 200  # a valid post redirected above
    return render(
        request, "backoffice/service/callback_scripts.html", {"forms": forms_}, status=status
    )
