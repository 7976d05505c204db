"""WeChat Pay API v3: wechatpayv3's utilities and a local server play WeChat Pay's side."""

import base64
import json
import re
import secrets
from decimal import Decimal

import pytest
import wechatpayv3.utils as sdk
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from mercato.payments.gateways import keys
from mercato.payments.gateways.base import (
    GatewayError,
    PaymentRequest,
    RefundStatus,
    TradeStatus,
)
from mercato.payments.gateways.qr import qr_png, qr_svg
from mercato.payments.gateways.wechatpay import WechatPayConfig, WechatPayGateway

NOW = 1_767_240_000  # the gateway's clock in these tests: no waiting, no flakiness
MCHID = "1900000109"
APPID = "wxd678efh567hg6787"
APIV3_KEY = "a" * 16 + "B" * 16
PLATFORM_SERIAL = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
ORDERS = {"P20260101000002": Decimal("120.50")}


def expect(out_trade_no):
    return ORDERS.get(out_trade_no)


@pytest.fixture
def config(key_pairs):
    return WechatPayConfig(
        mchid=MCHID,
        appid=APPID,
        serial_no="MERCHANT-SERIAL-1",
        private_key=key_pairs["merchant"].key,
        apiv3_key=APIV3_KEY,
        platform_keys={PLATFORM_SERIAL: keys.load_public_key(key_pairs["gateway"].public_pem)},
        base_url="https://api.mch.weixin.qq.com",
        notify_url="https://shop.example.com/pay/notify/wechatpay",
        clock=lambda: NOW,
    )


@pytest.fixture
def gateway(config):
    return WechatPayGateway(config)


def signed_headers(key_pair, body: str, *, timestamp=NOW - 10, serial=PLATFORM_SERIAL):
    """Headers as WeChat Pay sends them, signed with wechatpayv3's rsa_sign."""
    nonce = secrets.token_hex(16)
    signature = sdk.rsa_sign(key_pair.key, f"{timestamp}\n{nonce}\n{body}\n")
    return {
        "Wechatpay-Timestamp": str(timestamp),
        "Wechatpay-Nonce": nonce,
        "Wechatpay-Signature": signature,
        "Wechatpay-Serial": serial,
    }


def encrypted_notice(resource: dict, *, event_type="TRANSACTION.SUCCESS", key=APIV3_KEY) -> str:
    nonce, associated = secrets.token_hex(6), "transaction"
    plain = json.dumps(resource, ensure_ascii=False).encode()
    ciphertext = AESGCM(key.encode()).encrypt(nonce.encode(), plain, associated.encode())
    ciphertext = base64.b64encode(ciphertext).decode()
    # the SDK's own decryption reads what this test encrypted: the envelope is right
    assert sdk.aes_decrypt(nonce, ciphertext, associated, key) == plain.decode()
    return json.dumps(
        {
            "id": "EV-2018022511223320873",
            "create_time": "2026-01-01T12:00:05+08:00",
            "resource_type": "encrypt-resource",
            "event_type": event_type,
            "summary": "支付成功",
            "resource": {
                "original_type": "transaction",
                "algorithm": "AEAD_AES_256_GCM",
                "ciphertext": ciphertext,
                "associated_data": associated,
                "nonce": nonce,
            },
        }
    )


def transaction(**changes):
    data = {
        "mchid": MCHID,
        "appid": APPID,
        "out_trade_no": "P20260101000002",
        "transaction_id": "4200000000202601010000000002",
        "trade_type": "NATIVE",
        "trade_state": "SUCCESS",
        "trade_state_desc": "支付成功",
        "success_time": "2026-01-01T12:00:04+08:00",
        "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
        "amount": {"total": 12050, "payer_total": 12050, "currency": "CNY"},
    }
    data.update(changes)
    return data


def test_a_genuine_notice_is_verified_and_paid(gateway, key_pairs):
    """Signed with the platform key, decrypted with the APIv3 key, amount in fen: paid."""
    body = encrypted_notice(transaction())
    notice = gateway.parse_notice(signed_headers(key_pairs["gateway"], body), body, expect=expect)
    assert notice.verified, notice.problem
    assert notice.status is TradeStatus.PAID
    assert notice.amount == Decimal("120.50") and notice.out_trade_no == "P20260101000002"
    assert notice.trade_no == "4200000000202601010000000002"
    assert notice.notice_id == "EV-2018022511223320873"
    assert gateway.notice_reply(True).status == 204
    assert gateway.notice_reply(False).status == 400


def test_forged_signature_is_refused(gateway, key_pairs):
    """A notice signed with another key than the platform's is refused."""
    body = encrypted_notice(transaction())
    notice = gateway.parse_notice(signed_headers(key_pairs["stranger"], body), body, expect=expect)
    assert not notice.verified and notice.problem == "the signature does not verify"
    assert notice.out_trade_no == "" and notice.status is TradeStatus.UNKNOWN


def test_a_changed_body_breaks_the_signature(gateway, key_pairs):
    """Headers of a genuine notice put over another body do not verify."""
    headers = signed_headers(key_pairs["gateway"], encrypted_notice(transaction()))
    other = encrypted_notice(transaction(amount={"total": 1, "currency": "CNY"}))
    assert not gateway.parse_notice(headers, other, expect=expect).verified


@pytest.mark.parametrize("age", [301, 3600, -301])
def test_a_stale_or_future_timestamp_is_refused(gateway, key_pairs, age):
    """A correctly signed notice more than 5 minutes off our clock is refused (replay)."""
    body = encrypted_notice(transaction())
    headers = signed_headers(key_pairs["gateway"], body, timestamp=NOW - age)
    notice = gateway.parse_notice(headers, body, expect=expect)
    assert not notice.verified and "5 minutes" in notice.problem


def test_a_timestamp_within_five_minutes_is_accepted(gateway, key_pairs):
    """Five minutes old is still in time."""
    body = encrypted_notice(transaction())
    headers = signed_headers(key_pairs["gateway"], body, timestamp=NOW - 300)
    assert gateway.parse_notice(headers, body, expect=expect).verified


def test_an_unknown_serial_is_refused(gateway, key_pairs):
    """A platform serial we do not hold is refused, even when the signature is right."""
    body = encrypted_notice(transaction())
    headers = signed_headers(key_pairs["gateway"], body, serial="0000WRONG")
    notice = gateway.parse_notice(headers, body, expect=expect)
    assert not notice.verified and notice.problem == "unknown platform serial '0000WRONG'"


def test_a_resource_encrypted_with_another_key_is_refused(gateway, key_pairs):
    """A resource that does not decrypt with our APIv3 key is refused."""
    body = encrypted_notice(transaction(), key="z" * 32)
    notice = gateway.parse_notice(signed_headers(key_pairs["gateway"], body), body, expect=expect)
    assert not notice.verified and "APIv3" in notice.problem


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"amount": {"total": 1, "currency": "CNY"}}, "amount 0.01 differs"),
        ({"mchid": "1900000999"}, "mchid '1900000999' is not ours"),
        ({"appid": "wx0000"}, "appid 'wx0000' is not ours"),
        ({"out_trade_no": "P-NOT-OURS"}, "unknown out_trade_no"),
        ({"amount": {"total": "12.05"}}, "amount.total is missing"),
        ({"amount": {"total": 12050, "currency": "USD"}}, "currency 'USD'"),
        ({"trade_state": "WHATEVER"}, "is not known"),
    ],
)
def test_genuine_notices_that_do_not_match_our_trade_are_refused(
    gateway, key_pairs, changes, problem
):
    """Signed and encrypted by WeChat Pay, but for another merchant or amount: refused."""
    body = encrypted_notice(transaction(**changes))
    notice = gateway.parse_notice(signed_headers(key_pairs["gateway"], body), body, expect=expect)
    assert notice.signature_valid and not notice.verified
    assert problem in notice.problem


@pytest.mark.parametrize(
    "body",
    ["", "not json", "[]", '{"resource": 1}', '{"event_type": "X", "resource": {}}', "\ud800"],
)
def test_malformed_notices_are_refused_without_an_exception(gateway, key_pairs, body):
    """Signed garbage is refused with a reason; parse_notice never raises."""
    headers = signed_headers(key_pairs["gateway"], body) if body != "\ud800" else {}
    notice = gateway.parse_notice(headers, body.encode("utf-8", "surrogatepass"), expect=expect)
    assert not notice.verified and notice.problem


def test_no_headers_at_all_is_refused(gateway):
    """A notice without the Wechatpay-* headers is refused."""
    notice = gateway.parse_notice({}, encrypted_notice(transaction()), expect=expect)
    assert not notice.verified and "serial" in notice.problem


def test_a_replayed_notice_reads_the_same_every_time(gateway, key_pairs):
    """Within the 5 minutes, ten replays read the same; the payment model counts one."""
    body = encrypted_notice(transaction())
    headers = signed_headers(key_pairs["gateway"], body)
    notices = [gateway.parse_notice(headers, body, expect=expect) for _ in range(10)]
    assert notices[0].verified and all(n == notices[0] for n in notices)


def test_a_refund_notice_is_a_refund(gateway, key_pairs):
    """REFUND.SUCCESS is read as refunded, with our refund number and amount; never paid."""
    refund = {
        "mchid": MCHID,
        "out_trade_no": "P20260101000002",
        "transaction_id": "4200000000202601010000000002",
        "out_refund_no": "R20260102000001",
        "refund_id": "50000000382019052709732678859",
        "refund_status": "SUCCESS",
        "success_time": "2026-01-02T10:00:00+08:00",
        "amount": {"total": 12050, "refund": 2000, "payer_total": 12050, "payer_refund": 2000},
    }
    body = encrypted_notice(refund, event_type="REFUND.SUCCESS")
    notice = gateway.parse_notice(signed_headers(key_pairs["gateway"], body), body, expect=expect)
    assert notice.verified, notice.problem
    assert notice.status is TradeStatus.REFUNDED
    assert notice.refund_no == "R20260102000001" and notice.refund_amount == Decimal("20.00")


def test_a_payment_resource_under_a_refund_event_is_refused(gateway, key_pairs):
    """The event type and the decrypted resource must agree."""
    body = encrypted_notice(transaction(), event_type="REFUND.SUCCESS")
    notice = gateway.parse_notice(signed_headers(key_pairs["gateway"], body), body, expect=expect)
    assert not notice.verified and "does not match" in notice.problem


# -- the WeChat Pay API on a local server ------------------------------------------------
AUTH = re.compile(
    r'^WECHATPAY2-SHA256-RSA2048 mchid="(?P<mchid>[^"]+)",nonce_str="(?P<nonce>[^"]+)",'
    r'signature="(?P<signature>[^"]+)",timestamp="(?P<timestamp>\d+)",serial_no="(?P<serial>[^"]+)"$'
)


@pytest.fixture
def wechat_api(config, fake_gateway, key_pairs):
    """Our gateway pointed at a fake WeChat Pay that checks our Authorization header."""
    merchant_public = keys.load_public_key(key_pairs["merchant"].public_pem)
    routes = {}

    def respond(call):
        auth = AUTH.match(call.headers.get("Authorization", ""))
        body = call.body.decode()
        message = (
            auth and f"{call.method}\n{call.path}\n{auth['timestamp']}\n{auth['nonce']}\n{body}\n"
        )
        if not message or not keys.verify_sha256(
            merchant_public, message.encode(), auth["signature"]
        ):
            status, answer = 401, {"code": "SIGN_ERROR", "message": "签名错误"}
        else:
            status, answer = routes[(call.method, call.path.split("?")[0])](
                json.loads(body or "{}")
            )
        text = json.dumps(answer, ensure_ascii=False)
        headers = signed_headers(key_pairs["gateway"], text)
        return status, {"Content-Type": "application/json", **headers}, text.encode()

    fake_gateway.respond = respond
    gw = WechatPayGateway(WechatPayConfig(**{**config.__dict__, "base_url": fake_gateway.url}))
    return gw, routes, fake_gateway


def test_authorization_header_matches_the_sdks(gateway, key_pairs, monkeypatch):
    """Our Authorization header is the one wechatpayv3 builds for the same request."""
    body = json.dumps({"a": 1})
    ours = gateway.authorization("POST", "/v3/pay/transactions/native", body)
    nonce = AUTH.match(ours)["nonce"]
    monkeypatch.setattr(sdk.time, "time", lambda: NOW)
    theirs = sdk.build_authorization(
        "/v3/pay/transactions/native",
        "POST",
        MCHID,
        "MERCHANT-SERIAL-1",
        key_pairs["merchant"].key,
        data=body,
        nonce_str=nonce,
    )
    assert ours == theirs


def test_native_order_gives_a_qr_code(wechat_api):
    """Native: WeChat Pay answers a code_url, which becomes the QR code on the checkout page."""
    gw, routes, server = wechat_api
    routes[("POST", "/v3/pay/transactions/native")] = lambda order: (
        200,
        {"code_url": "weixin://wxpay/bizpayurl?pr=p4lpSuKzz"},
    )
    action = gw.create_payment(
        PaymentRequest(out_trade_no="P20260101000002", amount=Decimal("120.50"), subject="订单")
    )
    assert action.kind == "qr" and action.qr_payload == "weixin://wxpay/bizpayurl?pr=p4lpSuKzz"
    sent = json.loads(server.calls[0].body)
    assert sent["amount"] == {"total": 12050, "currency": "CNY"}
    assert sent["mchid"] == MCHID and sent["appid"] == APPID
    assert qr_svg(action.qr_payload).startswith("<svg")
    assert qr_png(action.qr_payload).startswith(b"\x89PNG")


def test_h5_order_gives_a_url_with_the_return_page(wechat_api):
    """H5: the customer is sent to h5_url, which brings them back to our return page."""
    gw, routes, server = wechat_api
    routes[("POST", "/v3/pay/transactions/h5")] = lambda order: (
        200,
        {"h5_url": "https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=wx1"},
    )
    action = gw.create_payment(
        PaymentRequest(
            out_trade_no="P20260101000002",
            amount=Decimal("120.50"),
            subject="订单",
            client_ip="203.0.113.9",
            return_url="https://shop.example.com/r?x=1",
            channel="h5",
        )
    )
    assert action.kind == "redirect"
    assert action.url.endswith("&redirect_url=https%3A%2F%2Fshop.example.com%2Fr%3Fx%3D1")
    assert json.loads(server.calls[0].body)["scene_info"]["payer_client_ip"] == "203.0.113.9"


def test_a_request_refused_for_its_signature_is_an_error(config, wechat_api, key_pairs):
    """Signed with a key WeChat Pay does not have, the order is refused: GatewayError."""
    gw, routes, server = wechat_api
    wrong = WechatPayGateway(
        WechatPayConfig(**{**gw.config.__dict__, "private_key": key_pairs["stranger"].key})
    )
    with pytest.raises(GatewayError, match="SIGN_ERROR"):
        wrong.create_payment(PaymentRequest(out_trade_no="P1", amount=Decimal("1"), subject="x"))


def test_query_reads_the_signed_answer(wechat_api):
    """The trade query answer, signed by WeChat Pay, tells the trade is paid."""
    gw, routes, server = wechat_api
    routes[("GET", "/v3/pay/transactions/out-trade-no/P20260101000002")] = lambda _: (
        200,
        transaction(),
    )
    notice = gw.query_trade("P20260101000002", expect=expect)
    assert notice.verified and notice.status is TradeStatus.PAID and notice.via == "query"
    assert (
        server.calls[0].path == "/v3/pay/transactions/out-trade-no/P20260101000002?mchid=1900000109"
    )


def test_query_of_an_unknown_trade(wechat_api):
    """ORDER_NOT_EXIST is a verified "not found"."""
    gw, routes, server = wechat_api
    routes[("GET", "/v3/pay/transactions/out-trade-no/P9")] = lambda _: (
        404,
        {"code": "ORDER_NOT_EXIST", "message": "订单不存在"},
    )
    assert gw.query_trade("P9").status is TradeStatus.NOT_FOUND


def test_an_answer_signed_by_someone_else_is_an_error(wechat_api, key_pairs, fake_gateway):
    """An answer whose signature is not the platform's raises instead of being believed."""
    gw, routes, server = wechat_api

    def forged(call):
        text = json.dumps(transaction())
        return 200, signed_headers(key_pairs["stranger"], text), text.encode()

    fake_gateway.respond = forged
    with pytest.raises(GatewayError, match="cannot be trusted"):
        gw.query_trade("P20260101000002")


def test_refund_sends_fen_and_reads_processing(wechat_api):
    """The refund goes out in fen with our refund number; PROCESSING waits for a notice."""
    gw, routes, server = wechat_api
    routes[("POST", "/v3/refund/domestic/refunds")] = lambda req: (
        200,
        {
            "refund_id": "50000000382019052709732678859",
            "out_refund_no": req["out_refund_no"],
            "transaction_id": "4200000000202601010000000002",
            "out_trade_no": req["out_trade_no"],
            "status": "PROCESSING",
            "amount": {**req["amount"], "payer_refund": req["amount"]["refund"]},
        },
    )
    result = gw.refund(
        out_trade_no="P20260101000002",
        refund_no="R1",
        amount=Decimal("20.00"),
        total=Decimal("120.50"),
        reason="退货",
    )
    assert result.status is RefundStatus.PROCESSING
    assert result.refund_id == "50000000382019052709732678859"
    sent = json.loads(server.calls[0].body)
    assert sent["amount"] == {"refund": 2000, "total": 12050, "currency": "CNY"}
    assert sent["out_refund_no"] == "R1"


def test_refund_refused_is_a_failed_result(wechat_api):
    """A refusal such as NOT_ENOUGH comes back FAILED with WeChat Pay's message."""
    gw, routes, server = wechat_api
    routes[("POST", "/v3/refund/domestic/refunds")] = lambda req: (
        403,
        {"code": "NOT_ENOUGH", "message": "基本账户余额不足"},
    )
    result = gw.refund(
        out_trade_no="P20260101000002", refund_no="R1", amount=Decimal("1"), total=Decimal("2")
    )
    assert result.status is RefundStatus.FAILED and "NOT_ENOUGH" in result.problem
