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
        ("procurement", "core.view_full_phone", False),
        ("tech", "staff.use_admin", True),
        ("procurement", "staff.use_admin", False),
        ("hr", "staff.use_admin", False),
    ],
)
def test_role_matrix(make_staff, department, perm, allowed):
    user = make_staff(department)
    assert user.has_perm(perm) is allowed


@pytest.mark.django_db
def test_the_order_processing_role_sees_phone_numbers_in_full(make_staff):
    """Procurement and logistics sees customers' numbers masked; its order processors, who
    ship to the customer, see them in full (and the orders)."""
    buyer = make_staff("procurement")
    processor = make_staff("procurement", roles=["order_processing"])
    assert not buyer.has_perm("core.view_full_phone")
    assert processor.has_perm("core.view_full_phone") and processor.has_perm("orders.view_order")
    assert not processor.has_perm("staff.use_admin")


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


@pytest.mark.django_db
def test_hr_cannot_grant_the_sysadmin_role_and_nothing_is_written(make_staff):
    """HR creating an account with the superuser-style role is refused on the roles field."""
    hr = make_staff("hr")
    count = StaffProfile.objects.count()
    with pytest.raises(PermissionDeniedError) as exc:
        services.create_staff(
            actor=hr,
            username="root2",
            password="pass-1234-word",
            department_code="tech",
            employee_no="T900",
            role_codes=["sysadmin"],
        )
    assert exc.value.field == "roles"
    assert StaffProfile.objects.count() == count
    assert not type(hr).objects.filter(username="root2").exists()


@pytest.mark.django_db
def test_hr_cannot_grant_or_remove_the_sysadmin_role_of_an_existing_account(make_staff):
    """change_staff by HR: adding or taking away sysadmin is refused, the account unchanged."""
    hr = make_staff("hr")
    agent = make_staff("service")
    admin = make_staff("tech", roles=["sysadmin"])
    for user, codes in [(agent, ["sysadmin"]), (admin, [])]:
        with pytest.raises(PermissionDeniedError) as exc:
            services.change_staff(
                actor=hr, profile_id=user.staff_profile.pk, role_codes=codes, title="changed"
            )
        assert exc.value.field == "roles"
    agent.refresh_from_db()
    admin.refresh_from_db()
    assert not agent.is_superuser and StaffProfile.objects.get(user=agent).role_codes == []
    assert admin.is_superuser
    assert StaffProfile.objects.get(user=admin).role_codes == ["sysadmin"]
    assert StaffProfile.objects.filter(title="changed").count() == 0


@pytest.mark.django_db
def test_hr_may_change_other_roles_of_a_sysadmin_while_keeping_the_role(make_staff):
    """Keeping sysadmin as it is, HR may still add a lead role or move the person."""
    hr = make_staff("hr")
    admin = make_staff("tech", roles=["sysadmin"])
    profile = services.change_staff(
        actor=hr, profile_id=admin.staff_profile.pk, role_codes=["sysadmin", "lead"]
    )
    assert profile.role_codes == ["lead", "sysadmin"]
    admin.refresh_from_db()
    assert admin.is_superuser


@pytest.mark.django_db
def test_a_sysadmin_grants_and_removes_the_sysadmin_role(make_staff):
    """A superuser may make someone a sysadmin and take the role away again."""
    root = make_staff("tech", roles=["sysadmin"])
    user = make_staff("tech")
    profile = services.create_staff(
        actor=root,
        username="root3",
        password="pass-1234-word",
        department_code="tech",
        employee_no="T901",
        role_codes=["sysadmin"],
    )
    assert profile.user.is_superuser
    services.change_staff(actor=root, profile_id=user.staff_profile.pk, role_codes=["sysadmin"])
    user.refresh_from_db()
    assert user.is_superuser
    services.change_staff(actor=root, profile_id=user.staff_profile.pk, role_codes=[])
    user.refresh_from_db()
    assert not user.is_superuser and StaffProfile.objects.get(user=user).role_codes == []


@pytest.mark.django_db
def test_a_staff_member_cannot_deactivate_themselves(make_staff):
    """Deactivating one's own account is refused on is_active; the account stays active."""
    hr = make_staff("hr")
    with pytest.raises(ValidationFailed) as exc:
        services.change_staff(actor=hr, profile_id=hr.staff_profile.pk, is_active=False)
    assert [e["field"] for e in exc.value.errors()] == ["is_active"]
    hr.refresh_from_db()
    assert hr.is_active
    # Saving one's own account unchanged (still active) is fine.
    services.change_staff(actor=hr, profile_id=hr.staff_profile.pk, is_active=True, title="HR")
    assert StaffProfile.objects.get(user=hr).title == "HR"
