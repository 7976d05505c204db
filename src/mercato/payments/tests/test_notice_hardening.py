"""Issue 10 item 5: the notify endpoint against junk, refund notices matched to their
trade, Alipay's running refund total, guest links with a lifetime, and WeChat Pay
platform certificates that rotate."""

import base64
import secrets
import time
from decimal import Decimal

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.urls import reverse

from mercato.orders.links import guest_link_token
from mercato.payments.models import (
    NoticeAction,
    Payment,
    PaymentNotice,
    Refund,
    RefundStatus,
    WechatPayCertificate,
)
from mercato.payments.services import handle_notice, refund_payment
from mercato.payments.tasks import refresh_wechatpay_certificates_task
from mercato.testing.factories import make_order
from mercato.testing.payments import make_payment, paid_payment

from .conftest import make_key_pair
from .test_notices import post_notice
from .test_unionpay import make_cert, pem
from .test_wechatpay import APIV3_KEY, MCHID, PLATFORM_SERIAL, signed_headers

pytestmark = pytest.mark.django_db


@pytest.fixture
def finance(make_staff):
    return make_staff("finance")


# The endpoint ------------------------------------------------------------------------------
def test_an_oversized_notice_is_refused_unread_and_not_stored(client, counterpart):
    """A megabyte posted to the notify URL: 413 before anything is read or stored."""
    response = client.post(
        "/payments/notify/alipay/",
        data="a=" + "x" * (1024 * 1024),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 413
    assert not PaymentNotice.objects.exists()
    payment = make_payment(method="alipay_page")
    headers, body = counterpart.notice(payment)
    assert post_notice(client, "alipay", headers, body).content == b"success"


def test_a_body_without_content_length_is_read_no_further_than_the_limit(counterpart, settings):
    """A chunked post carries no Content-Length, and an ASGI server hands over all of it:
    the endpoint reads one byte past MERCATO_NOTIFY_MAX_BYTES, answers 413 and stores
    nothing; a genuine notice sent the same way is taken."""
    from io import BytesIO

    from django.core.handlers.asgi import ASGIRequest

    from mercato.payments.views import notify

    settings.MERCATO_PAYMENTS = {**settings.MERCATO_PAYMENTS, "MERCATO_NOTIFY_MAX_BYTES": "4096"}

    def chunked(body: bytes):
        scope = {
            "type": "http",
            "method": "POST",
            "path": "/payments/notify/alipay/",
            "query_string": b"",
            "headers": [(b"content-type", b"application/x-www-form-urlencoded")],
            "client": ("110.75.0.1", 40000),
            "server": ("testserver", 80),
        }
        return ASGIRequest(scope, BytesIO(body))

    big = chunked(b"a=" + b"x" * (1024 * 1024))
    assert "CONTENT_LENGTH" not in big.META
    assert notify(big, gateway="alipay").status_code == 413
    assert not PaymentNotice.objects.exists()
    payment = make_payment(method="alipay_page")
    _headers, body = counterpart.notice(payment)
    reply = notify(chunked(body.encode()), gateway="alipay")
    assert reply.content == b"success"
    assert Payment.objects.get(pk=payment.pk).status == "paid"


def test_notices_are_throttled_per_address(client, counterpart, settings):
    """Past MERCATO_NOTIFY_RATE from one address: 429 and nothing stored; another
    address is not held back."""
    settings.MERCATO_PAYMENTS = {**settings.MERCATO_PAYMENTS, "MERCATO_NOTIFY_RATE": "3/m"}
    for _ in range(3):
        assert post_notice(client, "alipay", {}, "junk=1").status_code == 200
    assert post_notice(client, "alipay", {}, "junk=1").status_code == 429
    assert PaymentNotice.objects.count() == 3
    other = client.post(
        "/payments/notify/alipay/",
        data="junk=1",
        content_type="application/x-www-form-urlencoded",
        REMOTE_ADDR="203.0.113.9",
    )
    assert other.status_code == 200


def test_an_unknown_gateway_stores_nothing(client, counterpart):
    assert post_notice(client, "bitcoin", {}, "a=1").status_code == 404
    assert not PaymentNotice.objects.exists()


# Refund notices ----------------------------------------------------------------------------
def test_a_refund_notice_naming_another_trade_is_flagged_and_changes_nothing(counterpart, finance):
    """A genuine WeChat Pay refund notice for our refund number but another out_trade_no
    (our refund of payment A, the notice says payment B): flagged, the refund untouched."""
    counterpart.refunds_succeed()
    payment, other = paid_payment(method="wechat_native"), paid_payment(method="wechat_native")
    pending = refund_payment(
        payment=payment, refund_no="R0000000001", amount=Decimal("8.00"), reason="x", actor=finance
    )
    resource = {
        "mchid": MCHID,
        "out_trade_no": other.number,
        "transaction_id": other.trade_no,
        "out_refund_no": pending.refund_no,
        "refund_id": "5030R0000000001",
        "refund_status": "SUCCESS",
        "amount": {"total": 20800, "refund": 800, "payer_total": 20800, "payer_refund": 800},
    }
    headers, body = counterpart.wechat_notice(
        payment, resource=resource, event_type="REFUND.SUCCESS"
    )
    notice, reply = handle_notice(gateway="wechatpay", headers=headers, body=body)
    assert reply.status == 204  # acknowledged, so WeChat Pay stops sending it
    assert notice.action == NoticeAction.FLAGGED and notice.needs_review
    assert notice.review_reason == "The refund notice names another trade than ours"
    assert Refund.objects.get(pk=pending.pk).status == RefundStatus.PROCESSING


def test_a_unionpay_refund_notice_is_matched_by_the_payments_query_id(counterpart, finance):
    """UnionPay's refund notice names our refund and the payment's queryId (origQryId):
    another queryId is flagged; the right one settles the refund."""
    counterpart.refunds_succeed()
    payment = paid_payment(method="unionpay_pc", trade_no="772611271200000000011")
    pending = refund_payment(
        payment=payment, refund_no="R0000000001", amount=Decimal("8.00"), reason="x", actor=finance
    )
    pending.payment.trade_no = "772611271200000000099"  # another payment's queryId
    _, body = counterpart.unionpay_refund_notice(pending)
    notice, _ = handle_notice(gateway="unionpay", headers={}, body=body)
    assert notice.verified and notice.action == NoticeAction.FLAGGED
    assert notice.review_reason == "The refund notice names another trade than ours"
    assert Refund.objects.get(pk=pending.pk).status == RefundStatus.PROCESSING
    pending.refresh_from_db()
    _, body = counterpart.unionpay_refund_notice(pending)
    notice, _ = handle_notice(gateway="unionpay", headers={}, body=body)
    assert notice.action == NoticeAction.REFUND_SUCCEEDED


def test_alipays_running_total_settles_a_refund_whose_outcome_was_unknown(counterpart, finance):
    """8.00 refunded; then 10.00 with an unknown outcome. Alipay's notice for the second
    says refund_fee=18.00 (the trade's total so far): the refund succeeds. A notice
    claiming 10.00 in total for it does not match and is flagged."""
    counterpart.refunds_succeed()
    payment = paid_payment(method="alipay_page")
    refund_payment(
        payment=payment, refund_no="R0000000001", amount=Decimal("8.00"), reason="x", actor=finance
    )
    counterpart.refunds_answer_unknown_first()
    counterpart.paid_out.clear()
    second = refund_payment(
        payment=payment, refund_no="R0000000002", amount=Decimal("10.00"), reason="x", actor=finance
    )
    assert second.status == RefundStatus.PROCESSING
    extra = {"out_biz_no": "R0000000002", "gmt_refund": "2026-11-27 12:00:00"}
    headers, body = counterpart.alipay_notice(payment, refund_fee="10.00", **extra)
    wrong, _ = handle_notice(gateway="alipay", headers=headers, body=body)
    assert wrong.action == NoticeAction.FLAGGED
    assert Refund.objects.get(pk=second.pk).status == RefundStatus.PROCESSING
    headers, body = counterpart.alipay_notice(payment, refund_fee="18.00", **extra)
    right, reply = handle_notice(gateway="alipay", headers=headers, body=body)
    assert reply.body == "success" and right.action == NoticeAction.REFUND_SUCCEEDED
    assert Refund.objects.get(pk=second.pk).status == RefundStatus.SUCCEEDED
    again, _ = handle_notice(gateway="alipay", headers=headers, body=body)
    assert again.action == NoticeAction.DUPLICATE


def test_an_alipay_refund_notice_naming_another_trade_is_flagged(counterpart, finance):
    """Alipay's notice for our refund number (out_biz_no) but another payment's
    out_trade_no, with the right running total: flagged, the refund untouched."""
    counterpart.refunds_answer_unknown_first()
    payment, other = paid_payment(method="alipay_page"), paid_payment(method="alipay_page")
    pending = refund_payment(
        payment=payment, refund_no="R0000000001", amount=Decimal("8.00"), reason="x", actor=finance
    )
    assert pending.status == RefundStatus.PROCESSING
    extra = {"out_biz_no": "R0000000001", "gmt_refund": "2026-11-27 12:00:00"}
    headers, body = counterpart.alipay_notice(other, refund_fee="8.00", **extra)
    notice, reply = handle_notice(gateway="alipay", headers=headers, body=body)
    assert reply.body == "success" and notice.action == NoticeAction.FLAGGED
    assert notice.review_reason == "The refund notice names another trade than ours"
    assert Refund.objects.get(pk=pending.pk).status == RefundStatus.PROCESSING
    headers, body = counterpart.alipay_notice(payment, refund_fee="8.00", **extra)
    notice, _ = handle_notice(gateway="alipay", headers=headers, body=body)
    assert notice.action == NoticeAction.REFUND_SUCCEEDED


# Guest links -------------------------------------------------------------------------------
def test_guest_links_stop_working_after_their_lifetime(client, counterpart, settings):
    order = make_order(payment_method="sandbox")
    token = guest_link_token(number=order.number, guest_token=order.guest_token)
    url = reverse("storefront:guest_order", args=[token])
    settings.MERCATO_GUEST_LINK_DAYS = 60
    assert client.get(url).status_code == 200
    settings.MERCATO_GUEST_LINK_DAYS = 0
    assert client.get(url).status_code == 404


def test_a_guest_link_made_61_days_ago_opens_nothing(client, counterpart, settings, monkeypatch):
    """With the default 60 days: a link made 59 days ago opens the order page, its pay
    page and the API; one made 61 days ago opens none of them (404), and a browser that
    kept it in its session no longer sees the payment's return page."""
    from django.core import signing

    settings.MERCATO_GUEST_LINK_DAYS = 60
    payment = make_payment(method="sandbox")
    order = payment.order
    now = time.time()

    def link_made(days_ago):
        monkeypatch.setattr(signing.time, "time", lambda: now - days_ago * 86400)
        token = guest_link_token(number=order.number, guest_token=order.guest_token)
        monkeypatch.setattr(signing.time, "time", lambda: now)
        return token

    def answers(token):
        return [
            client.get(f"/orders/g/{token}/").status_code,
            client.get(f"/orders/g/{token}/pay/").status_code,
            client.get(f"/api/orders/guest/{token}").status_code,
        ]

    assert answers(link_made(59)) == [200, 200, 200]
    old = link_made(61)
    assert answers(old) == [404, 404, 404]
    session = client.session
    session["guest_order_links"] = {order.number: old}
    session.save()
    page = client.get(f"/payments/return/{payment.number}/").content.decode()
    assert 'data-state="elsewhere"' in page


# WeChat Pay platform certificates ----------------------------------------------------------
def encrypt(plain: str, associated: str = "certificate") -> dict:
    nonce = secrets.token_hex(6)
    data = AESGCM(APIV3_KEY.encode()).encrypt(nonce.encode(), plain.encode(), associated.encode())
    return {
        "algorithm": "AEAD_AES_256_GCM",
        "nonce": nonce,
        "associated_data": associated,
        "ciphertext": base64.b64encode(data).decode(),
    }


@pytest.fixture
def rotation(counterpart, key_pairs):
    """WeChat Pay rotates: a new platform key under a new serial, listed (beside the old
    one) by /v3/certificates, encrypted with the APIv3 key."""
    new = make_key_pair()
    serial = "6A2F0B1C0D3E4F5061728394A5B6C7D8E9F00112"
    certificates = [
        (PLATFORM_SERIAL, make_cert("Tenpay.com Root CA old", key_pairs["gateway"])),
        (serial, make_cert("Tenpay.com Root CA new", new)),
    ]
    counterpart.answers[("wechatpay", "/v3/certificates")] = lambda req: (
        200,
        {
            "data": [
                {
                    "serial_no": s,
                    "effective_time": "2026-11-26T10:00:00+08:00",
                    "expire_time": "2031-11-26T10:00:00+08:00",
                    "encrypt_certificate": encrypt(pem(cert)),
                }
                for s, cert in certificates
            ]
        },
    )
    return new, serial


def notice_signed_by(counterpart, payment, key_pair, serial):
    _, body = counterpart.wechat_notice(payment)
    return signed_headers(key_pair, body, timestamp=int(time.time()) - 5, serial=serial), body


def test_a_notice_under_a_new_platform_serial_fetches_the_certificate(counterpart, rotation):
    """The first notice signed with the new serial: the certificate list is downloaded
    (once), stored, and the notice verifies instead of reading as forged."""
    new, serial = rotation
    payment = make_payment(method="wechat_native")
    headers, body = notice_signed_by(counterpart, payment, new, serial)
    notice, reply = handle_notice(gateway="wechatpay", headers=headers, body=body)
    assert notice.verified and reply.status == 204, notice.problem
    assert Payment.objects.get(pk=payment.pk).status == "paid"
    assert set(WechatPayCertificate.objects.values_list("serial_no", flat=True)) == {
        PLATFORM_SERIAL,
        serial,
    }
    downloads = [c for c in counterpart.server.calls if c.path == "/v3/certificates"]
    assert len(downloads) == 1
    # A serial WeChat Pay does not list stays refused, with no second download this minute.
    forged = notice_signed_by(counterpart, make_payment(method="wechat_native"), new, "FAKE01")
    refused, _ = handle_notice(gateway="wechatpay", headers=forged[0], body=forged[1])
    assert not refused.verified and "unknown platform serial" in refused.problem
    assert len([c for c in counterpart.server.calls if c.path == "/v3/certificates"]) == 1


def test_the_beat_refresh_stores_the_list_before_the_first_notice(counterpart, rotation, settings):
    """Every 6 hours the task downloads the list; with no platform key configured at all
    (the certificates mode from scratch) it trusts what decrypts with the APIv3 key."""
    settings.MERCATO_PAYMENTS = {
        k: v
        for k, v in settings.MERCATO_PAYMENTS.items()
        if k not in ("WECHATPAY_PLATFORM_SERIAL", "WECHATPAY_PLATFORM_KEY")
    }
    assert refresh_wechatpay_certificates_task() == 2
    stored = WechatPayCertificate.objects.get(serial_no=rotation[1])
    assert "BEGIN CERTIFICATE" in stored.pem and stored.expire_time.startswith("2031")


def test_a_list_that_does_not_decrypt_stores_nothing(counterpart, rotation):
    counterpart.answers[("wechatpay", "/v3/certificates")] = lambda req: (
        200,
        {
            "data": [
                {
                    "serial_no": "X1",
                    "encrypt_certificate": {**encrypt("x"), "ciphertext": "AAAA"},
                }
            ]
        },
    )
    assert refresh_wechatpay_certificates_task() == 0
    assert not WechatPayCertificate.objects.exists()


def test_several_configured_platform_keys_verify_during_a_rotation(
    counterpart, settings, tmp_path, key_pairs
):
    """WECHATPAY_PLATFORM_KEYS_DIR holds <serial or PUB_KEY_ID>.pem files: the old and
    the new WeChat Pay public key both verify, with no download."""
    new = make_key_pair()
    (tmp_path / "PUB_KEY_ID_0114232134912410000000000001.pem").write_text(
        key_pairs["gateway"].public_pem
    )
    (tmp_path / "PUB_KEY_ID_0114232134912410000000000002.pem").write_text(new.public_pem)
    settings.MERCATO_PAYMENTS = {
        k: v
        for k, v in settings.MERCATO_PAYMENTS.items()
        if k not in ("WECHATPAY_PLATFORM_SERIAL", "WECHATPAY_PLATFORM_KEY")
    } | {"WECHATPAY_PLATFORM_KEYS_DIR": str(tmp_path)}
    for key, serial in (
        (key_pairs["gateway"], "PUB_KEY_ID_0114232134912410000000000001"),
        (new, "PUB_KEY_ID_0114232134912410000000000002"),
    ):
        payment = make_payment(method="wechat_native")
        headers, body = notice_signed_by(counterpart, payment, key, serial)
        notice, _ = handle_notice(gateway="wechatpay", headers=headers, body=body)
        assert notice.verified, notice.problem
    assert not [c for c in counterpart.server.calls if c.path == "/v3/certificates"]
