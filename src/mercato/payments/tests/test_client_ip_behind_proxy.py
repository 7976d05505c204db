"""Issue 10 item 4, as WeChat Pay sees it: behind the documented nginx, an H5 payment
started from the shop's pay page or the API carries the shopper's address as
scene_info.payer_client_ip, not nginx's; a forged X-Forwarded-For from a client that
reaches gunicorn directly is not believed. The notify endpoint's per-address throttle
counts each gateway address behind the proxy on its own."""

import json

import pytest

from mercato.orders.links import guest_link_token
from mercato.payments.models import PaymentNotice
from mercato.testing.factories import make_order

pytestmark = pytest.mark.django_db
NGINX = "10.0.0.5"
SHOPPER = "203.0.113.7"
H5 = ("wechatpay", "/v3/pay/transactions/h5")


@pytest.fixture
def wechat_h5(counterpart, settings):
    settings.TRUSTED_PROXIES = [NGINX]
    counterpart.answers[H5] = lambda req: (
        200,
        {"h5_url": "https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=wx1"},
    )
    return counterpart


def payer_ips(counterpart) -> list[str]:
    return [
        json.loads(c.body)["scene_info"]["payer_client_ip"]
        for c in counterpart.server.calls
        if c.path == H5[1]
    ]


def guest_pay_url(order) -> str:
    token = guest_link_token(number=order.number, guest_token=order.guest_token)
    return f"/orders/g/{token}/pay/"


def test_the_pay_page_sends_the_shoppers_address_not_the_proxys(client, wechat_h5):
    order = make_order(payment_method="wechat_h5")
    response = client.get(
        guest_pay_url(order), REMOTE_ADDR=NGINX, HTTP_X_FORWARDED_FOR=f"1.2.3.4, {SHOPPER}"
    )
    assert response.status_code == 200
    assert payer_ips(wechat_h5) == [SHOPPER]


def test_a_forged_header_from_outside_the_proxy_is_not_believed(client, wechat_h5):
    order = make_order(payment_method="wechat_h5")
    response = client.get(guest_pay_url(order), REMOTE_ADDR=SHOPPER, HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert response.status_code == 200
    assert payer_ips(wechat_h5) == [SHOPPER]


def test_the_api_sends_the_shoppers_address_not_the_proxys(client, wechat_h5):
    order = make_order(payment_method="wechat_h5")
    token = guest_link_token(number=order.number, guest_token=order.guest_token)
    response = client.post(
        f"/api/orders/guest/{token}/pay",
        REMOTE_ADDR=NGINX,
        HTTP_X_FORWARDED_FOR=SHOPPER,
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["kind"] == "redirect"
    assert payer_ips(wechat_h5) == [SHOPPER]


def test_the_notify_throttle_counts_each_address_behind_the_proxy(client, counterpart, settings):
    """Every notice arrives from nginx; the limit holds the address that sent too many,
    not every gateway behind the same proxy."""
    settings.TRUSTED_PROXIES = [NGINX]
    settings.MERCATO_PAYMENTS = {**settings.MERCATO_PAYMENTS, "MERCATO_NOTIFY_RATE": "2/m"}

    def post(sender):
        return client.post(
            "/payments/notify/alipay/",
            data="junk=1",
            content_type="application/x-www-form-urlencoded",
            REMOTE_ADDR=NGINX,
            HTTP_X_FORWARDED_FOR=sender,
        ).status_code

    assert [post(SHOPPER) for _ in range(3)] == [200, 200, 429]
    assert post("110.75.0.1") == 200  # another sender behind the same nginx
    assert PaymentNotice.objects.count() == 3
