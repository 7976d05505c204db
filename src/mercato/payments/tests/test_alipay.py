"""Alipay: python-alipay-sdk plays Alipay's side with keys the tests generate."""

import json
import threading
from decimal import Decimal
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from alipay import AliPay

from mercato.core.errors import DomainError
from mercato.payments.gateways import keys
from mercato.payments.gateways.alipay import AlipayConfig, AlipayGateway, sign_content
from mercato.payments.gateways.base import (
    GatewayError,
    PaymentRequest,
    RefundStatus,
    TradeStatus,
)

APP_ID = "2021000000000001"
SELLER_ID = "2088000000000001"
ORDERS = {"P20260101000001": Decimal("88.80")}


@pytest.fixture
def gateway(key_pairs):
    return AlipayGateway(
        AlipayConfig(
            app_id=APP_ID,
            seller_id=SELLER_ID,
            app_private_key=key_pairs["merchant"].key,
            alipay_public_key=keys.load_public_key(key_pairs["gateway"].public_pem),
            gateway_url="https://openapi.alipay.com/gateway.do",
        )
    )


@pytest.fixture
def alipay_side(key_pairs):
    """The SDK holding Alipay's private key: it signs notices and answers as Alipay does."""
    return AliPay(
        appid=APP_ID,
        app_private_key_string=key_pairs["gateway"].private_pem,
        alipay_public_key_string=key_pairs["merchant"].public_pem,
    )


def notice_fields(**changes):
    fields = {
        "notify_time": "2026-01-01 12:00:05",
        "notify_type": "trade_status_sync",
        "notify_id": "ac05099524730693a8b330c5ecf72da9786",
        "charset": "utf-8",
        "version": "1.0",
        "app_id": APP_ID,
        "seller_id": SELLER_ID,
        "trade_no": "2026010122001400000000000001",
        "out_trade_no": "P20260101000001",
        "total_amount": "88.80",
        "receipt_amount": "88.80",
        "buyer_id": "2088102122524333",
        "trade_status": "TRADE_SUCCESS",
        "subject": "商品 & 运费",
        "gmt_payment": "2026-01-01 12:00:04",
    }
    fields.update(changes)
    return {k: v for k, v in fields.items() if v is not None}


def signed_notice(alipay_side, **changes) -> str:
    """A notice body as Alipay posts it: form-encoded, sign_type not part of the signature."""
    return alipay_side.sign_data(notice_fields(**changes)) + "&sign_type=RSA2"


def expect(out_trade_no):
    return ORDERS.get(out_trade_no)


def test_page_pay_url_is_signed_as_the_sdk_signs_it(gateway, key_pairs):
    """The cashier URL carries our request, signed exactly as python-alipay-sdk signs it."""
    action = gateway.create_payment(
        PaymentRequest(
            out_trade_no="P20260101000001",
            amount=Decimal("88.80"),
            subject="订单 P20260101000001",
            return_url="https://shop.example.com/pay/return",
            notify_url="https://shop.example.com/pay/notify/alipay",
            channel="page",
        )
    )
    assert action.kind == "redirect" and action.amount == Decimal("88.80")
    assert action.url.startswith("https://openapi.alipay.com/gateway.do?")
    params = dict(parse_qsl(urlsplit(action.url).query))
    assert params["method"] == "alipay.trade.page.pay"
    biz = json.loads(params["biz_content"])
    assert biz == {
        "out_trade_no": "P20260101000001",
        "total_amount": "88.80",
        "subject": "订单 P20260101000001",
        "product_code": "FAST_INSTANT_TRADE_PAY",
    }
    # the SDK, holding the same app key, signs the same parameters to the same signature
    merchant_sdk = AliPay(
        appid=APP_ID,
        app_private_key_string=key_pairs["merchant"].private_pem,
        alipay_public_key_string=key_pairs["gateway"].public_pem,
    )
    unsigned = {k: v for k, v in params.items() if k != "sign"}
    sdk_signed = dict(parse_qsl(merchant_sdk.sign_data(unsigned)))
    assert sdk_signed["sign"] == params["sign"]
    # and Alipay, holding the app's public key, accepts it
    alipay_verifier = AliPay(
        appid=APP_ID,
        app_private_key_string=key_pairs["gateway"].private_pem,
        alipay_public_key_string=key_pairs["merchant"].public_pem,
    )
    assert alipay_verifier._verify(sign_content(unsigned, exclude=()), params["sign"])


def test_wap_pay_uses_the_mobile_product(gateway):
    """Mobile web pay asks for QUICK_WAP_WAY with a quit_url back to the shop."""
    action = gateway.create_payment(
        PaymentRequest(
            out_trade_no="P1",
            amount=Decimal("1.00"),
            subject="x",
            return_url="https://shop.example.com/r",
            channel="wap",
        )
    )
    params = dict(parse_qsl(urlsplit(action.url).query))
    assert params["method"] == "alipay.trade.wap.pay"
    assert json.loads(params["biz_content"])["product_code"] == "QUICK_WAP_WAY"


def test_a_genuine_notice_is_verified_and_paid(gateway, alipay_side):
    """A notice signed with Alipay's key, for our trade and amount, is verified as paid."""
    notice = gateway.parse_notice({}, signed_notice(alipay_side).encode(), expect=expect)
    assert notice.verified, notice.problem
    assert notice.status is TradeStatus.PAID
    assert notice.out_trade_no == "P20260101000001"
    assert notice.trade_no == "2026010122001400000000000001"
    assert notice.amount == Decimal("88.80")
    assert notice.data["subject"] == "商品 & 运费"
    assert gateway.notice_reply(True).body == "success"
    assert gateway.notice_reply(False).body != "success"


def test_trade_finished_counts_as_paid_and_waiting_does_not(gateway, alipay_side):
    """TRADE_FINISHED is paid; WAIT_BUYER_PAY and TRADE_CLOSED are not."""
    results = {
        status: gateway.parse_notice(
            {}, signed_notice(alipay_side, trade_status=status), expect=expect
        ).status
        for status in ("TRADE_FINISHED", "WAIT_BUYER_PAY", "TRADE_CLOSED")
    }
    assert results == {
        "TRADE_FINISHED": TradeStatus.PAID,
        "WAIT_BUYER_PAY": TradeStatus.PENDING,
        "TRADE_CLOSED": TradeStatus.CLOSED,
    }


def test_forged_signature_is_refused(gateway, key_pairs):
    """A notice signed with any key but Alipay's is refused, and none of its data is kept."""
    forger = AliPay(
        appid=APP_ID,
        app_private_key_string=key_pairs["stranger"].private_pem,
        alipay_public_key_string=key_pairs["merchant"].public_pem,
    )
    notice = gateway.parse_notice({}, signed_notice(forger), expect=expect)
    assert not notice.verified and not notice.signature_valid
    assert notice.problem == "the signature does not verify"
    assert notice.status is TradeStatus.UNKNOWN and notice.out_trade_no == ""


@pytest.mark.parametrize(
    ("field", "value"),
    [("total_amount", "0.01"), ("seller_id", "2088999999999999"), ("app_id", "2021999")],
)
def test_tampering_with_a_signed_notice_breaks_the_signature(gateway, alipay_side, field, value):
    """Changing the amount, seller or app id of a genuine notice makes it unverified."""
    body = signed_notice(alipay_side)
    params = dict(parse_qsl(body))
    params[field] = value
    tampered = urlencode(params)
    assert not gateway.parse_notice({}, tampered, expect=expect).verified


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"total_amount": "0.01", "receipt_amount": "0.01"}, "amount 0.01 differs"),
        ({"seller_id": "2088999999999999"}, "seller_id '2088999999999999' is not ours"),
        ({"app_id": "2021999"}, "app_id '2021999' is not ours"),
        ({"out_trade_no": "P-NOT-OURS"}, "unknown out_trade_no"),
        ({"seller_id": None}, "the notice has no seller_id"),
        ({"total_amount": "abc"}, "total_amount is missing"),
        ({"trade_status": "TRADE_PENDING_X"}, "is not known"),
    ],
)
def test_genuine_notices_that_do_not_match_our_trade_are_refused(
    gateway, alipay_side, changes, problem
):
    """Signed by Alipay, but for another seller, app, amount or trade: not verified."""
    notice = gateway.parse_notice({}, signed_notice(alipay_side, **changes), expect=expect)
    assert notice.signature_valid and not notice.verified
    assert problem in notice.problem


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"\xff\xfe",
        b"garbage",
        b"a=1&a=2&sign=x",
        b"out_trade_no=P20260101000001&total_amount=88.80",
        b"out_trade_no=P1&sign=not-base64!!",
        b"out_trade_no=P1&sign=abc&sign_type=RSA",
        json.dumps({"out_trade_no": "P1"}).encode(),
    ],
)
def test_malformed_notices_are_refused_without_an_exception(gateway, body):
    """Whatever the body, parse_notice answers verified=False with a reason; it never raises."""
    notice = gateway.parse_notice({}, body, expect=expect)
    assert not notice.verified and notice.problem


def test_duplicated_parameter_is_refused(gateway, alipay_side):
    """A second total_amount appended to a genuine notice makes it refused."""
    body = signed_notice(alipay_side) + "&total_amount=0.01"
    notice = gateway.parse_notice({}, body, expect=expect)
    assert not notice.verified and notice.problem == "a parameter appears twice"


def test_a_replayed_notice_reads_the_same_every_time(gateway, alipay_side):
    """Ten replays give ten equal results; the payment model makes only one of them count."""
    body = signed_notice(alipay_side)
    notices = [gateway.parse_notice({}, body, expect=expect) for _ in range(10)]
    assert all(n == notices[0] for n in notices) and notices[0].verified
    assert notices[0].notice_id == "ac05099524730693a8b330c5ecf72da9786"


def test_a_refund_notice_is_a_refund_not_a_payment(gateway, alipay_side):
    """A partial-refund notice says TRADE_SUCCESS, yet it is read as a refund, never as paid;
    its refund_fee is the trade's running total, not this refund's amount."""
    body = signed_notice(
        alipay_side, refund_fee="10.00", out_biz_no="R20260102000001", gmt_refund="2026-01-02"
    )
    notice = gateway.parse_notice({}, body, expect=expect)
    assert notice.verified, notice.problem
    assert notice.status is TradeStatus.REFUNDED
    assert notice.refund_no == "R20260102000001" and notice.refund_total == Decimal("10.00")
    assert notice.refund_amount is None


def alipay_answer(alipay_side, method: str, member: dict) -> bytes:
    """An answer as Alipay writes it: the member's JSON text signed with Alipay's key."""
    key = method.replace(".", "_") + "_response"
    text = json.dumps(member, ensure_ascii=False)
    return f'{{"{key}":{text},"sign":"{alipay_side._sign(text)}"}}'.encode()


@pytest.fixture
def remote_gateway(gateway, fake_gateway, key_pairs):
    """Our gateway pointed at the local fake Alipay, which checks our request signatures."""
    config = gateway.config
    merchant_public = keys.load_public_key(key_pairs["merchant"].public_pem)

    def checked(handler):
        def respond(call):
            params = dict(parse_qsl(call.body.decode()))
            message = sign_content(params, exclude=("sign",)).encode()
            if not keys.verify_sha256(merchant_public, message, params["sign"]):
                return 200, {}, b'{"error_response":{"code":"40002","sub_msg":"bad sign"}}'
            return 200, {"Content-Type": "application/json"}, handler(params)

        fake_gateway.respond = respond

    gw = AlipayGateway(
        AlipayConfig(**{**config.__dict__, "gateway_url": fake_gateway.url + "/gateway.do"})
    )
    return gw, checked


def test_query_reads_a_signed_answer(remote_gateway, alipay_side):
    """alipay.trade.query: the signed answer says the trade is paid."""
    gw, serve = remote_gateway
    serve(
        lambda params: alipay_answer(
            alipay_side,
            params["method"],
            {
                "code": "10000",
                "msg": "Success",
                "trade_no": "2026010122001400000000000001",
                "out_trade_no": json.loads(params["biz_content"])["out_trade_no"],
                "trade_status": "TRADE_SUCCESS",
                "total_amount": "88.80",
            },
        )
    )
    notice = gw.query_trade("P20260101000001", expect=expect)
    assert notice.verified and notice.via == "query"
    assert notice.status is TradeStatus.PAID and notice.amount == Decimal("88.80")


def test_query_of_a_trade_alipay_does_not_know(remote_gateway, alipay_side):
    """ACQ.TRADE_NOT_EXIST is a verified "not found", not an error."""
    gw, serve = remote_gateway
    serve(
        lambda params: alipay_answer(
            alipay_side,
            params["method"],
            {"code": "40004", "msg": "Business Failed", "sub_code": "ACQ.TRADE_NOT_EXIST"},
        )
    )
    assert gw.query_trade("P20260101000001").status is TradeStatus.NOT_FOUND


def test_an_answer_with_a_bad_signature_is_an_error(remote_gateway, key_pairs):
    """An answer not signed by Alipay raises GatewayError instead of being believed."""
    gw, serve = remote_gateway
    forger = AliPay(
        appid=APP_ID,
        app_private_key_string=key_pairs["stranger"].private_pem,
        alipay_public_key_string=key_pairs["merchant"].public_pem,
    )
    serve(
        lambda params: alipay_answer(
            forger,
            params["method"],
            {"code": "10000", "out_trade_no": "P20260101000001", "trade_status": "TRADE_SUCCESS"},
        )
    )
    with pytest.raises(GatewayError, match="bad signature"):
        gw.query_trade("P20260101000001")


def test_refund_sends_a_signed_request_and_reads_the_answer(remote_gateway, alipay_side):
    """alipay.trade.refund carries the amount and our refund number; success is reported."""
    gw, serve = remote_gateway
    seen = []

    def answer(params):
        biz = json.loads(params["biz_content"])
        seen.append(biz)
        return alipay_answer(
            alipay_side,
            params["method"],
            {
                "code": "10000",
                "msg": "Success",
                "trade_no": "2026010122001400000000000001",
                "out_trade_no": biz["out_trade_no"],
                "refund_fee": biz["refund_amount"],
                "fund_change": "Y",
            },
        )

    serve(answer)
    result = gw.refund(
        out_trade_no="P20260101000001",
        refund_no="R1",
        amount=Decimal("10.00"),
        total=Decimal("88.80"),
        reason="缺货",
    )
    assert result.status is RefundStatus.SUCCESS and result.amount == Decimal("10.00")
    assert seen == [
        {
            "out_trade_no": "P20260101000001",
            "refund_amount": "10.00",
            "out_request_no": "R1",
            "refund_reason": "缺货",
        }
    ]


def test_refund_refused_by_alipay_is_a_failed_result(remote_gateway, alipay_side):
    """A business refusal (e.g. not enough balance) comes back as FAILED with the reason."""
    gw, serve = remote_gateway
    serve(
        lambda params: alipay_answer(
            alipay_side,
            params["method"],
            {
                "code": "40004",
                "msg": "Business Failed",
                "sub_code": "ACQ.SELLER_BALANCE_NOT_ENOUGH",
            },
        )
    )
    result = gw.refund(
        out_trade_no="P20260101000001", refund_no="R1", amount=Decimal("1"), total=Decimal("88.80")
    )
    assert result.status is RefundStatus.FAILED
    assert "ACQ.SELLER_BALANCE_NOT_ENOUGH" in result.problem


@pytest.mark.parametrize(
    "amount", [Decimal("0"), Decimal("-1"), Decimal("88.81"), Decimal("1.001")]
)
def test_refund_amount_out_of_range_is_refused_before_any_call(gateway, amount):
    """A refund of zero, less, more than the total, or below the fen names the amount field."""
    with pytest.raises(DomainError) as error:
        gateway.refund(out_trade_no="P1", refund_no="R1", amount=amount, total=Decimal("88.80"))
    assert error.value.field == "amount"


def test_an_unreachable_gateway_is_a_gateway_error(gateway):
    """No answer from Alipay raises GatewayError, which the API maps to 502."""
    gw = AlipayGateway(
        AlipayConfig(**{**gateway.config.__dict__, "gateway_url": "http://127.0.0.1:9"})
    )
    with pytest.raises(GatewayError):
        gw.query_trade("P1")


def test_the_same_notice_ten_times_at_once_reads_the_same(gateway, alipay_side):
    """Ten threads parsing one notice together all get the same verified result."""
    body = signed_notice(alipay_side)
    gate, results = threading.Barrier(10), []

    def parse():
        gate.wait()
        results.append(gateway.parse_notice({}, body, expect=expect))

    threads = [threading.Thread(target=parse) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 10 and all(r == results[0] and r.verified for r in results)
