"""Log-in, log-out, the department workspace (home) and the user's own API tokens."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from mercato.core import ratelimit
from mercato.core.errors import DomainError
from mercato.staff import services as staff_services
from mercato.staff.models import ApiToken

from .access import staff_view
from .home_procurement import procurement_queues
from .messages_i18n import add_errors_to_form
from .navigation import menu_for
from .views_logistics_audit import department_queues
from .views_service import service_queues, team_board
from .workspaces import workspace_for


class StaffAuthenticationForm(AuthenticationForm):
    """Only staff accounts get into the back office; customers are told so."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "not_staff": gettext_lazy("This account has no access to the back office."),
    }

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if not user.is_staff:
            raise forms.ValidationError(self.error_messages["not_staff"], code="not_staff")


class LoginView(auth_views.LoginView):
    """Failed log-ins count per account and per client IP (core/ratelimit.py), beside
    django-axes' lock-out of one account from one address: one account cannot be tried from
    many addresses, and colleagues behind one office address do not lock each other out."""

    template_name = "backoffice/login.html"
    authentication_form = StaffAuthenticationForm
    next_page = "backoffice:home"  # when no ?next=: the user's workspace

    def post(self, request, *args, **kwargs):
        username = request.POST.get("username", "")
        if ratelimit.check(request, action="staff_login", subject=username, increment=False):
            # An unbound form: a bound one would try the password when the page shows errors.
            form = self.get_form_class()(request, initial={"username": username})
            response = self.render_to_response(self.get_context_data(form=form, throttled=True))
            response.status_code = 429
            return response
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        ratelimit.check(
            self.request, action="staff_login", subject=self.request.POST.get("username", "")
        )
        return super().form_invalid(form)


login_view = LoginView.as_view()
logout_view = auth_views.LogoutView.as_view(next_page="backoffice:login")


def lockout_response(request, original_response=None, credentials=None):
    """django-axes calls this (AXES_LOCKOUT_CALLABLE) when a log-in is locked out."""
    minutes = int(float(getattr(settings, "AXES_COOLOFF_TIME", 0.25) or 0) * 60)
    form = StaffAuthenticationForm(request, data=request.POST or None)
    return render(
        request,
        "backoffice/login.html",
        {"form": form, "locked_out": True, "cooloff_minutes": minutes, "next": ""},
        status=429,
    )


@staff_view()
def home(request):
    """The user's department workspace: its summary and what the user may open now."""
    user = request.user
    menu = [(group, items) for group, items in menu_for(user, None)]
    return render(
        request,
        "backoffice/home.html",
        {
            "workspace": workspace_for(user),
            # Order processing's counts (part 7, issue 13); customer service's tickets.
            # 采购及物流部's purchasing and warehouse tiles (issue 14).
            "queues": department_queues(user) + service_queues(user) + procurement_queues(user),
            "team_board": team_board(user),  # 客户主管's view of the team's tickets
            "menu": menu,
            "read_only_catalog": user.has_perm("catalog.view_product")
            and not user.has_perm("catalog.change_product"),
        },
    )


class TokenForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=60)


RAW_TOKEN_SESSION_KEY = "backoffice:new_api_token"  # noqa: S105 - a session key name


@staff_view()
def token_list(request):
    """The user's API tokens; a new token's raw value is shown once, right after creation."""
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            token, raw = staff_services.create_api_token(
                actor=request.user, name=form.cleaned_data["name"]
            )
        except DomainError as exc:
            add_errors_to_form(form, exc)
        else:
            # Kept in the session only until the next page view, then gone for good.
            request.session[RAW_TOKEN_SESSION_KEY] = {"id": token.pk, "raw": raw}
            return redirect("backoffice:token_list")
    new_token = request.session.pop(RAW_TOKEN_SESSION_KEY, None)
    tokens = ApiToken.objects.filter(user=request.user).order_by("-created_at")
    return render(
        request,
        "backoffice/account/tokens.html",
        {"form": form, "tokens": tokens, "new_token": new_token},
    )


@require_POST
@staff_view()
def token_revoke(request, token_id: int):
    try:
        token = staff_services.revoke_api_token(actor=request.user, token_id=token_id)
    except DomainError:
        messages.error(request, _("Token not found."))
    else:
        messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
    return redirect("backoffice:token_list")
