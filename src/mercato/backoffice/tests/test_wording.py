"""The back-office words issue 11 found wrong, each where staff read it."""

import re

import pytest

from mercato.testing.factories import ProductFactory, make_order
from mercato.testing.payments import make_payment, paid_payment

pytestmark = pytest.mark.django_db


def text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_product_list_says_product_name_and_price_range(client, make_staff):
    """The product list's name column reads 名称 (not 姓名, a person's name) and the
    maximum-price filter reads 至 (not 新状态, from a status change)."""
    ProductFactory(name="测试手机")
    client.force_login(make_staff("operations", roles=["lead"]))
    html = client.get("/backoffice/catalog/products/").content.decode()
    headers = re.findall(r"<th[^>]*>(.*?)</th>", html)
    assert "名称" in headers and "姓名" not in headers
    label = re.search(r'<label for="id_price_max"[^>]*>(.*?)</label>', html).group(1)
    assert text(label) == "至" and "新状态" not in html


def test_payment_methods_read_as_names_not_codes(client, make_staff, settings):
    """Finance reads 沙箱（测试支付…） and 货到付款 in the payment list and on a payment, never the
    stored codes (sandbox, cod) or "sandbox (sandbox)"."""
    settings.MERCATO_PAYMENT_METHODS = "cod,sandbox"
    sandbox = paid_payment(method="sandbox")
    make_payment(order=make_order(payment_method="cod"), method="cod")
    client.force_login(make_staff("finance"))
    listing = text(client.get("/backoffice/payments/").content.decode())
    assert "沙箱（测试支付" in listing and "货到付款" in listing
    assert not re.search(r"\b(sandbox|cod)\b", listing)
    detail = client.get(f"/backoffice/payments/{sandbox.pk}/").content.decode()
    assert "sandbox (sandbox)" not in detail
    method = re.search(r"<dd>(.*?)</dd>", detail[detail.index("支付方式") :]).group(1)
    assert text(re.sub(r"<code.*?</code>", "", method)).startswith("沙箱（测试支付")


def test_staff_roles_read_as_names(client, make_staff):
    """HR's staff list names extra roles (系统管理员), not their codes (sysadmin)."""
    make_staff("tech", roles=["sysadmin"], username="zhou")
    client.force_login(make_staff("hr"))
    row = next(
        r for r in client.get("/backoffice/staff/").content.decode().split("<tr") if "zhou" in r
    )
    assert "系统管理员" in row and "sysadmin" not in row


def test_orders_admin_is_called_orders(client, make_staff):
    """Django admin names the orders app 订单, not the shop's 我的订单."""
    admin = make_staff("tech", roles=["sysadmin"])
    admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    html = client.get("/admin/").content.decode()
    assert "我的订单" not in html
    assert re.search(r'<a href="/admin/orders/"[^>]*>\s*订单\s*</a>', html)
