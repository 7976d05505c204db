"""Who may open a back-office page. Every view is wrapped in `staff_view`.

Anonymous users and accounts without `is_staff` (customers) are sent to the log-in page;
staff without the view's permission get the 403 page and nothing is changed.
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render
from django.utils.translation import gettext as _

from mercato.core.errors import DomainError, PermissionDeniedError

from .messages_i18n import message_of
from .navigation import user_may


def forbidden(request, message: str = ""):
    return render(
        request,
        "backoffice/403.html",
        {"message": message or _("You do not have permission to open this page.")},
        status=403,
    )


def act(request, call, success: str, back):
    """Run a form's service call: on success show `success`, on a refusal its message, and
    answer with `back` (a redirect); a refusal for want of permission shows the 403 page."""
    try:
        call()
    except DomainError as exc:
        if exc.status == 403:
            return forbidden(request)
        messages.error(request, message_of(exc))
    else:
        messages.success(request, success)
    return back


def staff_view(perm: str | tuple[str, ...] | None = None):
    """Decorate a view: staff only, and (when given) holding `perm` or any of a tuple."""

    def decorate(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            user = request.user
            if not (user.is_authenticated and user.is_staff and user.is_active):
                return redirect_to_login(request.get_full_path())
            if perm is not None and not user_may(user, perm):
                return forbidden(request)
            try:
                return view(request, *args, **kwargs)
            except PermissionDeniedError:
                # A service refused: e.g. a finer permission the page alone does not need.
                return forbidden(request)

        # Read by the role walk test (tests/test_role_walk.py): who may open this page.
        wrapped.staff_permission = perm
        wrapped.is_staff_view = True
        return wrapped

    return decorate
