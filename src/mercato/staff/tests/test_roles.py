import pytest
from django.contrib.auth.models import Group

from mercato.core.errors import PermissionDeniedError, ValidationFailed
from mercato.staff import roles, services
from mercato.staff.models import ApiToken, Department, StaffProfile


@pytest.mark.django_db
def test_the_seven_departments_exist_after_migrate_with_their_groups():
    names = list(Department.objects.values_list("name", flat=True))
    assert names == [
        "客服部",
        "市场部",
        "采购及物流部",
        "技术部",
        "网站运营部",
        "财务部",
        "人力资源部",
    ]
    ops = Department.objects.get(code="operations").group
    assert ops.permissions.filter(codename="change_price").exists()
    service = Department.objects.get(code="service").group
    assert not service.permissions.filter(codename="change_price").exists()


@pytest.mark.django_db
def test_sync_roles_is_idempotent():
    services.sync_roles()
    before = {
        g.name: sorted(g.permissions.values_list("pk", flat=True)) for g in Group.objects.all()
    }
    services.sync_roles()
    after = {
        g.name: sorted(g.permissions.values_list("pk", flat=True)) for g in Group.objects.all()
    }
    assert before == after
    assert Department.objects.count() == 7


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("department", "perm", "allowed"),
    [
        ("operations", "catalog.change_price", True),
        ("operations", "catalog.view_cost_price", True),
        ("service", "catalog.change_price", False),
        ("service", "catalog.view_cost_price", False),
        ("service", "core.view_full_phone", True),
        ("marketing", "catalog.change_product", False),
        ("procurement", "catalog.view_cost_price", True),
        ("procurement", "catalog.change_price", False),
        ("finance", "catalog.view_cost_price", True),
        ("hr", "staff.manage_staff", True),
        ("hr", "catalog.view_product", False),
        ("tech", "core.view_auditlog", True),
        ("tech", "catalog.change_price", False),
        ("operations", "core.view_auditlog", False),
        ("operations", "staff.manage_staff", False),
    ],
)
def test_role_matrix(make_staff, department, perm, allowed):
    user = make_staff(department)
    assert user.has_perm(perm) is allowed


@pytest.mark.django_db
def test_a_lead_may_read_the_audit_log_and_a_sysadmin_may_do_everything(make_staff):
    lead = make_staff("operations", roles=["lead"])
    admin = make_staff("tech", roles=["sysadmin"])
    assert lead.has_perm("core.view_auditlog")
    assert not lead.has_perm("staff.manage_staff")
    assert admin.is_superuser and admin.has_perm("staff.manage_staff")


@pytest.mark.django_db
def test_only_hr_creates_staff_and_nothing_is_written_on_refusal(make_staff):
    agent = make_staff("service")
    hr = make_staff("hr")
    count = StaffProfile.objects.count()
    with pytest.raises(PermissionDeniedError):
        services.create_staff(
            actor=agent,
            username="x1",
            password="pass-1234-word",
            department_code="finance",
            employee_no="F001",
        )
    assert StaffProfile.objects.count() == count
    profile = services.create_staff(
        actor=hr,
        username="x1",
        password="pass-1234-word",
        department_code="finance",
        employee_no="F001",
    )
    assert profile.department.name == "财务部"
    assert profile.user.groups.get().name == roles.department_group_name("finance")


@pytest.mark.django_db
def test_create_staff_names_every_bad_field(make_staff):
    hr = make_staff("hr", username="hrboss")
    with pytest.raises(ValidationFailed) as exc:
        services.create_staff(
            actor=hr,
            username="hrboss",
            password="pass-1234-word",
            department_code="nope",
            employee_no="E1",
            role_codes=[],
        )
    fields = {e["field"] for e in exc.value.errors()}
    assert fields == {"department", "username"}
    with pytest.raises(ValidationFailed) as exc:
        services.create_staff(
            actor=hr,
            username="new",
            password="pass-1234-word",
            department_code="hr",
            employee_no="E9",
            role_codes=["king"],
        )
    assert exc.value.errors()[0]["field"] == "roles"


@pytest.mark.django_db
def test_moving_a_staff_member_replaces_their_permissions(make_staff):
    hr = make_staff("hr")
    user = make_staff("service")
    services.change_staff(actor=hr, profile_id=user.staff_profile.pk, department_code="operations")
    user = type(user).objects.get(pk=user.pk)  # permission cache is per instance
    assert user.has_perm("catalog.change_price")
    assert not user.has_perm("core.view_full_phone")


@pytest.mark.django_db
def test_deactivating_a_staff_member_revokes_their_tokens(make_staff):
    hr = make_staff("hr")
    user = make_staff("operations")
    _, raw = services.create_api_token(actor=user, name="erp")
    assert services.user_for_token(raw) == user
    services.change_staff(actor=hr, profile_id=user.staff_profile.pk, is_active=False)
    assert services.user_for_token(raw) is None
    assert ApiToken.objects.get().revoked_at is not None


@pytest.mark.django_db
def test_api_tokens_are_stored_only_as_hashes(make_staff):
    user = make_staff("operations")
    token, raw = services.create_api_token(actor=user, name="erp")
    assert raw not in token.token_hash and len(token.token_hash) == 64
    services.revoke_api_token(actor=user, token_id=token.pk)
    assert services.user_for_token(raw) is None
    assert services.user_for_token("mk_not-a-token") is None
