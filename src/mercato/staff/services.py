"""Departments, roles and staff accounts."""

import hashlib
import secrets

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mercato.core.audit import acting_as
from mercato.core.errors import NotFound, PermissionDeniedError, ValidationFailed
from mercato.core.permissions import require_perm

from . import roles
from .models import ApiToken, Department, StaffProfile

User = get_user_model()


def _permissions(perm_names: list[str]) -> list[Permission]:
    if perm_names == ["*"]:
        return list(Permission.objects.all())
    wanted = {tuple(p.split(".", 1)) for p in perm_names}
    found = [
        p
        for p in Permission.objects.select_related("content_type").filter(
            codename__in=[codename for _, codename in wanted]
        )
        if (p.content_type.app_label, p.codename) in wanted
    ]
    missing = wanted - {(p.content_type.app_label, p.codename) for p in found}
    if missing:
        raise LookupError(f"Unknown permissions in the role matrix: {sorted(missing)}")
    return found


@transaction.atomic
def sync_roles() -> None:
    """Create or update the seven departments and the extra roles from `roles.py`.

    Idempotent: running it again changes nothing unless the matrix changed.
    """
    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0)
    for position, (code, name, name_en, perm_names) in enumerate(roles.DEPARTMENTS):
        group, _created = Group.objects.get_or_create(name=roles.department_group_name(code))
        group.permissions.set(_permissions(perm_names))
        Department.objects.update_or_create(
            code=code,
            defaults={"name": name, "name_en": name_en, "position": position, "group": group},
        )
    for code, (_name, _name_en, perm_names) in roles.ROLES.items():
        group, _created = Group.objects.get_or_create(name=roles.role_group_name(code))
        group.permissions.set(_permissions(perm_names))


def sync_roles_after_migrate(sender, **kwargs):
    # Runs after every `migrate`; permissions of all apps exist by then (created above).
    sync_roles()


def _groups_for(department: Department, role_codes: list[str]) -> list[Group]:
    names = [roles.department_group_name(department.code)] + [
        roles.role_group_name(r) for r in role_codes
    ]
    return list(Group.objects.filter(name__in=names))


SUPERUSER_ROLE = "sysadmin"


def _require_may_grant_superuser_role(actor, *, before: set[str], after: set[str]) -> None:
    """Granting or removing the superuser-style role is a superuser's decision alone.

    HR manages accounts, but an HR account that could make anyone a superuser would hold
    every permission by proxy. The system itself (actor None: set-up, seed data) may.
    """
    if actor is None or actor.is_superuser:
        return
    if (SUPERUSER_ROLE in before) != (SUPERUSER_ROLE in after):
        raise PermissionDeniedError(
            _("Only a system administrator may grant or remove the sysadmin role"),
            field="roles",
        )


def _clean_roles(role_codes: list[str]) -> list[str]:
    unknown = [r for r in role_codes if r not in roles.ROLES]
    if unknown:
        raise ValidationFailed(
            {"roles": [_("Unknown role: %(roles)s") % {"roles": ", ".join(unknown)}]}
        )
    return sorted(set(role_codes))


@transaction.atomic
def create_staff(
    *,
    actor,
    username: str,
    password: str,
    department_code: str,
    employee_no: str,
    display_name: str = "",
    email: str = "",
    phone: str = "",
    title: str = "",
    role_codes: list[str] | None = None,
) -> StaffProfile:
    """HR creates a back-office account in one department (actor None: system set-up)."""
    if actor is not None:
        require_perm(actor, "staff.manage_staff")
    role_codes = _clean_roles(role_codes or [])
    _require_may_grant_superuser_role(actor, before=set(), after=set(role_codes))
    department = Department.objects.filter(code=department_code).first()
    errors: dict[str, list[str]] = {}
    if department is None:
        errors["department"] = [_("Unknown department: %(code)s") % {"code": department_code}]
    if User.objects.filter(username=username).exists():
        errors["username"] = [_("This username is taken")]
    if StaffProfile.objects.filter(employee_no=employee_no).exists():
        errors["employee_no"] = [_("This employee number is taken")]
    if errors:
        raise ValidationFailed(errors)
    with acting_as(actor):
        user = User(
            username=username,
            email=email,
            display_name=display_name,
            phone=phone,
            is_staff=True,
            is_superuser="sysadmin" in role_codes,
        )
        try:
            user.full_clean(exclude=["password"])
        except ValidationError as exc:
            raise ValidationFailed(exc.message_dict) from exc
        user.set_password(password)
        user.save()
        user.groups.set(_groups_for(department, role_codes))
        return StaffProfile.objects.create(
            user=user,
            department=department,
            employee_no=employee_no,
            title=title,
            roles=",".join(role_codes),
        )


@transaction.atomic
def change_staff(
    *,
    actor,
    profile_id: int,
    department_code: str | None = None,
    role_codes: list[str] | None = None,
    title: str | None = None,
    is_active: bool | None = None,
) -> StaffProfile:
    """HR moves a staff member, changes roles or deactivates the account.

    Every check runs before the first write: a refusal changes nothing.
    """
    require_perm(actor, "staff.manage_staff")
    profile = (
        StaffProfile.objects.select_for_update()
        .select_related("user")
        .filter(pk=profile_id)
        .first()
    )
    if profile is None:
        raise NotFound(_("Staff member not found"))
    if role_codes is not None:
        role_codes = _clean_roles(role_codes)
        _require_may_grant_superuser_role(
            actor, before=set(profile.role_codes), after=set(role_codes)
        )
    if is_active is False and profile.user_id == actor.pk:
        # Locking oneself out by mistake leaves no one to undo it.
        raise ValidationFailed(
            {"is_active": [_("You cannot deactivate your own account; ask a colleague in HR")]}
        )
    with acting_as(actor):
        if department_code is not None:
            department = Department.objects.filter(code=department_code).first()
            if department is None:
                raise ValidationFailed(
                    {"department": [_("Unknown department: %(code)s") % {"code": department_code}]}
                )
            profile.department = department
        if role_codes is not None:
            profile.roles = ",".join(role_codes)
        if title is not None:
            profile.title = title
        profile.save()
        user = profile.user
        user.groups.set(_groups_for(profile.department, profile.role_codes))
        user.is_superuser = "sysadmin" in profile.role_codes
        if is_active is not None:
            user.is_active = is_active
            if not is_active:
                ApiToken.objects.filter(user=user, revoked_at=None).update(
                    revoked_at=timezone.now()
                )
        user.save(update_fields=["is_superuser", "is_active"])
    return profile


def _hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def create_api_token(*, actor, name: str) -> tuple[ApiToken, str]:
    """A new token for the actor; returns the row and the raw token, shown only this once."""
    if not actor.is_authenticated or not actor.is_staff:
        raise ValidationFailed({"user": [_("Only staff accounts may hold API tokens")]})
    name = (name or "").strip()
    if not name or len(name) > 60:
        raise ValidationFailed({"name": [_("Give the token a name of 1 to 60 characters")]})
    raw = "mk_" + secrets.token_urlsafe(32)
    with acting_as(actor):
        token = ApiToken.objects.create(
            user=actor, name=name, prefix=raw[:10], token_hash=_hash_token(raw)
        )
    return token, raw


@transaction.atomic
def revoke_api_token(*, actor, token_id: int) -> ApiToken:
    token = ApiToken.objects.select_for_update().filter(pk=token_id).first()
    if token is None or (token.user_id != actor.pk and not actor.has_perm("staff.manage_staff")):
        raise NotFound(_("Token not found"))
    with acting_as(actor):
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at", "updated_at"])
    return token


def user_for_token(raw: str):
    """The active staff user a raw token belongs to, or None. Touches last_used_at."""
    if not raw or not raw.startswith("mk_"):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(token_hash=_hash_token(raw), revoked_at=None, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
