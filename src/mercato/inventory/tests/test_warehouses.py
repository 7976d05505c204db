import pytest

from mercato.core.errors import PermissionDeniedError, ValidationFailed
from mercato.core.regions import mainland_provinces
from mercato.inventory.models import Warehouse
from mercato.inventory.services import create_warehouse, set_served_provinces

ADDRESS = {"province": "四川省", "city": "成都市", "district": "双流区", "address": "物联大道200号"}


def test_mainland_has_31_province_level_regions():
    """The province list is cpca's, without 台湾, 香港 and 澳门."""
    provinces = mainland_provinces()
    assert len(provinces) == 31
    assert {"北京市", "广西壮族自治区", "新疆维吾尔自治区", "重庆市"} <= set(provinces)
    assert "香港特别行政区" not in provinces


@pytest.mark.django_db
def test_an_unknown_province_is_refused_and_nothing_is_written():
    """A misspelt province names the field, and no warehouse is created."""
    with pytest.raises(ValidationFailed) as exc:
        create_warehouse(actor=None, code="CD01", name="成都仓", provinces=["四川"], **ADDRESS)
    assert "provinces" in exc.value.field_errors
    assert not Warehouse.objects.exists()


@pytest.mark.django_db
def test_changing_served_provinces_needs_permission(make_staff):
    """Customer service may not change where a warehouse delivers; operations staff with the
    permission (tech sysadmin) may."""
    warehouse = create_warehouse(
        actor=None, code="CD01", name="成都仓", provinces=["四川省"], **ADDRESS
    )
    with pytest.raises(PermissionDeniedError):
        set_served_provinces(
            actor=make_staff("service"), warehouse_id=warehouse.pk, provinces=["重庆市"]
        )
    set_served_provinces(
        actor=make_staff("tech", roles=["sysadmin"]),
        warehouse_id=warehouse.pk,
        provinces=["重庆市", "贵州省"],
    )
    assert sorted(warehouse.served_provinces) == ["贵州省", "重庆市"]
