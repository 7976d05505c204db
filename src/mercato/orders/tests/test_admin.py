import pytest
from django.urls import reverse

from mercato.testing.factories import make_order

pytestmark = pytest.mark.django_db


def test_the_admin_shows_orders_read_only(admin_client):
    """The admin lists and shows orders with their lines and events, offering no edits."""
    order = make_order()
    listing = admin_client.get(reverse("admin:orders_order_changelist"))
    assert listing.status_code == 200 and order.number in listing.content.decode()
    page = admin_client.get(reverse("admin:orders_order_change", args=[order.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert order.lines.get().product_name in html
    assert 'name="_save"' not in html
    assert admin_client.get(reverse("admin:orders_order_add")).status_code == 403
