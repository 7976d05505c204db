"""HR's staff pages (staff.manage_staff): list, create, change department/roles, deactivate."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from mercato.core.errors import DomainError, PermissionDeniedError
from mercato.core.masking import phone_for
from mercato.staff import services
from mercato.staff.models import Department, StaffProfile

from .access import staff_view
from .forms_staff import StaffCreateForm, StaffEditForm
from .messages_i18n import add_errors_to_form
from .selectors import staff_rows

PAGE_SIZE = 50


def _status(form, refusal: DomainError | None) -> int:
    # A refused permission (granting sysadmin) is a 403; other errors are bad input.
    if isinstance(refusal, PermissionDeniedError):
        return 403
    return 400 if form.errors else 200


@staff_view("staff.manage_staff")
def staff_list(request):
    rows = staff_rows()
    department = request.GET.get("department", "")
    if department:
        rows = rows.filter(department__code=department)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    people = [(p, phone_for(request.user, p.user.phone)) for p in page.object_list]
    return render(
        request,
        "backoffice/staff/list.html",
        {
            "page": page,
            "people": people,
            "departments": Department.objects.order_by("position"),
            "department": department,
        },
    )


@staff_view("staff.manage_staff")
def staff_create(request):
    form = StaffCreateForm(request.POST or None, may_grant_sysadmin=request.user.is_superuser)
    refusal = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            profile = services.create_staff(
                actor=request.user,
                username=data["username"],
                password=data["password"],
                department_code=data["department"].code,
                employee_no=data["employee_no"],
                display_name=data["display_name"],
                email=data["email"],
                phone=data["phone"],
                title=data["title"],
                role_codes=data["roles"],
            )
        except DomainError as exc:
            refusal = exc
            add_errors_to_form(form, exc)
        else:
            messages.success(request, _("Account %(name)s created.") % {"name": profile.user})
            return redirect("backoffice:staff_list")
    return render(
        request, "backoffice/staff/form.html", {"form": form}, status=_status(form, refusal)
    )


@staff_view("staff.manage_staff")
def staff_edit(request, profile_id: int):
    profile = get_object_or_404(StaffProfile.objects.select_related("user", "department"),
                                pk=profile_id)  # fmt: skip
    initial = {
        "department": profile.department.code,
        "roles": profile.role_codes,
        "title": profile.title,
        "is_active": profile.user.is_active,
    }
    form = StaffEditForm(
        request.POST or None, initial=initial, may_grant_sysadmin=request.user.is_superuser
    )
    is_self = profile.user_id == request.user.pk
    if is_self:
        form.fields["is_active"].help_text = _("You cannot deactivate your own account.")
    refusal = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        roles = data["roles"]
        if "sysadmin" in profile.role_codes and not request.user.is_superuser:
            roles = [*roles, "sysadmin"]  # a role HR cannot grant, HR cannot take away either
        try:
            services.change_staff(
                actor=request.user,
                profile_id=profile.pk,
                department_code=data["department"].code,
                role_codes=roles,
                title=data["title"],
                is_active=data["is_active"],
            )
        except DomainError as exc:
            refusal = exc
            add_errors_to_form(form, exc)
        else:
            messages.success(request, _("Account %(name)s saved.") % {"name": profile.user})
            return redirect("backoffice:staff_list")
    return render(
        request,
        "backoffice/staff/form.html",
        {
            "form": form,
            "profile": profile,
            "phone": phone_for(request.user, profile.user.phone),
            "holds_sysadmin": "sysadmin" in profile.role_codes,
        },
        status=_status(form, refusal),
    )
