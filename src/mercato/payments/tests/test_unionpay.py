"""UnionPay 5.1.0: the tests make a root CA, a middle CA, UnionPay's signing certificate
and the merchant's, and play UnionPay's side with them (signing as the spec describes)."""

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qsl, urlencode

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

from mercato.core.errors import DomainError
from mercato.payments.gateways import keys
from mercato.payments.gateways.base import (
    GatewayError,
    PaymentRequest,
    RefundStatus,
    TradeStatus,
)
from mercato.payments.gateways.unionpay import (
    UnionPayConfig,
    UnionPayGateway,
    parse_response,
)

from .conftest import make_key_pair

NOW = datetime(2026, 1, 1, 4, 0, tzinfo=UTC)
MER_ID = "777290058110048"
ORDERS = {"P20260101000003": Decimal("66.00")}
UNIONPAY_CN = "041@Z12@中国银联股份有限公司@00000001"


def expect(out_trade_no):
    return ORDERS.get(out_trade_no)


def make_cert(subject_cn, key_pair, issuer=None, *, ca=False, days=(-30, 365), serial=None):
    """A certificate for key_pair, signed by issuer=(cert, key) or self-signed."""
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "China UnionPay Test"),
            x509.NameAttribute(NameOID.COMMON_NAME, subject_cn),
        ]
    )
    issuer_cert, issuer_key = issuer or (None, key_pair.key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer_cert.subject if issuer_cert else name)
        .public_key(key_pair.key.public_key())
        .serial_number(serial or x509.random_serial_number())
        .not_valid_before(NOW + timedelta(days=days[0]))
        .not_valid_after(NOW + timedelta(days=days[1]))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    return builder.sign(issuer_key, hashes.SHA256())


def pem(cert) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


@dataclass
class Pki:
    root: x509.Certificate
    middle: x509.Certificate
    middle_key: object
    unionpay: object  # KeyPair
    unionpay_cert: x509.Certificate
    merchant: object
    merchant_cert: x509.Certificate


@pytest.fixture(scope="module")
def pki():
    root_key, middle_key, unionpay_key = make_key_pair(), make_key_pair(), make_key_pair()
    merchant_key = make_key_pair()
    root = make_cert("Test UnionPay Root", root_key, ca=True, days=(-30, 3650))
    middle = make_cert("Test UnionPay Middle", middle_key, (root, root_key.key), ca=True)
    return Pki(
        root=root,
        middle=middle,
        middle_key=middle_key,
        unionpay=unionpay_key,
        unionpay_cert=make_cert(UNIONPAY_CN, unionpay_key, (middle, middle_key.key)),
        merchant=merchant_key,
        merchant_cert=make_cert(
            "041@Z12@Mercato Test Shop@00000002",
            merchant_key,
            (middle, middle_key.key),
            serial=68759585097,
        ),
    )


@pytest.fixture
def gateway(pki):
    return UnionPayGateway(
        UnionPayConfig(
            mer_id=MER_ID,
            sign_key=pki.merchant.key,
            cert_id=str(pki.merchant_cert.serial_number),
            root_cert=pki.root,
            middle_cert=pki.middle,
            back_url="https://shop.example.com/pay/notify/unionpay",
            front_url="https://shop.example.com/pay/return/unionpay",
            clock=lambda: NOW,
        )
    )


def unionpay_sign(fields: dict, key_pair, cert) -> dict:
    """UnionPay's side of signMethod 01, written from the spec: SHA-256 hex, then RSA."""
    fields = {**fields, "signPubKeyCert": pem(cert)}
    content = "&".join(f"{k}={v}" for k, v in sorted(fields.items()))
    digest = hashlib.sha256(content.encode()).hexdigest().encode()
    return {**fields, "signature": keys.sign_sha256(key_pair.key, digest)}


def consume_notice(**changes) -> dict:
    fields = {
        "version": "5.1.0",
        "encoding": "UTF-8",
        "signMethod": "01",
        "txnType": "01",
        "txnSubType": "01",
        "bizType": "000201",
        "accessType": "0",
        "merId": MER_ID,
        "orderId": "P20260101000003",
        "txnTime": "20260101120000",
        "txnAmt": "6600",
        "currencyCode": "156",
        "queryId": "772601011200000000011",
        "respCode": "00",
        "respMsg": "success",
        "traceNo": "000001",
        "traceTime": "0101120004",
        "settleDate": "0101",
    }
    fields.update(changes)
    return {k: v for k, v in fields.items() if v is not None}


def body_of(pki, signer=None, cert=None, **changes) -> str:
    signed = unionpay_sign(
        consume_notice(**changes), signer or pki.unionpay, cert or pki.unionpay_cert
    )
    return urlencode(signed)


def test_front_form_is_signed_with_the_merchant_certificate(gateway, pki):
    """The front-end form carries certId and a signature the merchant certificate verifies."""
    action = gateway.create_payment(
        PaymentRequest(
            out_trade_no="P20260101000003",
            amount=Decimal("66.00"),
            subject="订单",
            created_at=datetime(2026, 1, 1, 4, 0, tzinfo=UTC),
        )
    )
    assert action.kind == "form"
    assert action.url == "https://gateway.95516.com/gateway/api/frontTransReq.do"
    fields = action.fields
    assert fields["txnAmt"] == "6600" and fields["txnTime"] == "20260101120000"
    assert fields["certId"] == "68759585097" and fields["channelType"] == "07"
    assert fields["backUrl"] == "https://shop.example.com/pay/notify/unionpay"
    content = "&".join(f"{k}={v}" for k, v in sorted(fields.items()) if k != "signature")
    digest = hashlib.sha256(content.encode()).hexdigest().encode()
    assert keys.verify_sha256(pki.merchant_cert.public_key(), digest, fields["signature"])


def test_a_genuine_back_notice_is_verified_and_paid(gateway, pki):
    """Signed by UnionPay's certificate, chained to our root: paid, amount from fen."""
    notice = gateway.parse_notice({}, body_of(pki), expect=expect)
    assert notice.verified, notice.problem
    assert notice.status is TradeStatus.PAID and notice.amount == Decimal("66.00")
    assert notice.out_trade_no == "P20260101000003" and notice.trade_no == "772601011200000000011"
    assert gateway.notice_reply(True).status == 200
    assert gateway.notice_reply(False).status != 200


def test_the_front_notice_is_verified_but_marked_as_coming_through_the_browser(gateway, pki):
    """The front-end notice verifies too, and says via="return" so nothing is marked paid."""
    notice = gateway.parse_front_notice({}, body_of(pki), expect=expect)
    assert notice.verified and notice.via == "return"


def test_a_failed_payment_is_not_paid(gateway, pki):
    """respCode other than 00/A6 is a failed payment."""
    notice = gateway.parse_notice({}, body_of(pki, respCode="61"), expect=expect)
    assert notice.verified and notice.status is TradeStatus.FAILED


def test_forged_signature_is_refused(gateway, pki):
    """Signed with another key while carrying UnionPay's genuine certificate: refused."""
    notice = gateway.parse_notice({}, body_of(pki, signer=pki.merchant), expect=expect)
    assert not notice.verified and notice.problem == "the signature does not verify"


def test_a_self_made_unionpay_certificate_is_refused(gateway, pki):
    """A certificate naming UnionPay but not issued by our middle CA is refused."""
    stranger = make_key_pair()
    fake = make_cert(UNIONPAY_CN, stranger, ca=True)
    notice = gateway.parse_notice({}, body_of(pki, signer=stranger, cert=fake), expect=expect)
    assert not notice.verified and "does not chain" in notice.problem


def test_a_chained_certificate_that_is_not_unionpays_is_refused(gateway, pki):
    """Another party's certificate from the same CA (here: the merchant's) is refused."""
    notice = gateway.parse_notice(
        {}, body_of(pki, signer=pki.merchant, cert=pki.merchant_cert), expect=expect
    )
    assert not notice.verified and notice.problem == "the signing certificate is not UnionPay's"


def test_an_expired_certificate_is_refused(gateway, pki):
    """UnionPay's certificate past its end date is refused."""
    old = make_key_pair()
    expired = make_cert(UNIONPAY_CN, old, (pki.middle, pki.middle_key.key), days=(-400, -1))
    notice = gateway.parse_notice({}, body_of(pki, signer=old, cert=expired), expect=expect)
    assert not notice.verified and "not valid now" in notice.problem


def test_tampered_amount_breaks_the_signature(gateway, pki):
    """Changing txnAmt in a genuine notice makes it unverified."""
    fields = dict(parse_qsl(body_of(pki)))
    fields["txnAmt"] = "1"
    assert not gateway.parse_notice({}, urlencode(fields), expect=expect).verified


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"txnAmt": "1"}, "amount 0.01 differs"),
        ({"merId": "777000000000000"}, "merId '777000000000000' is not ours"),
        ({"orderId": "PNOTOURS"}, "unknown out_trade_no"),
        ({"txnAmt": "-5"}, "txnAmt is missing"),
        ({"currencyCode": "840"}, "currencyCode '840'"),
        ({"txnType": "02"}, "is not a payment or a refund"),
    ],
)
def test_genuine_notices_that_do_not_match_our_trade_are_refused(gateway, pki, changes, problem):
    """Signed by UnionPay, but for another merchant, amount or trade: refused."""
    notice = gateway.parse_notice({}, body_of(pki, **changes), expect=expect)
    assert notice.signature_valid and not notice.verified
    assert problem in notice.problem


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"\xff",
        b"nonsense",
        b"version=5.1.0&signMethod=01&signature=abc",
        b"version=5.1.0&signMethod=01&signature=abc&signPubKeyCert=notacert",
        b"version=5.0.0&signMethod=01&signature=abc",
    ],
)
def test_malformed_notices_are_refused_without_an_exception(gateway, body):
    """Garbage is refused with a reason; parse_notice never raises."""
    notice = gateway.parse_notice({}, body, expect=expect)
    assert not notice.verified and notice.problem


def test_a_replayed_notice_reads_the_same_every_time(gateway, pki):
    """Ten replays read the same; the payment model makes one of them count."""
    body = body_of(pki)
    notices = [gateway.parse_notice({}, body, expect=expect) for _ in range(10)]
    assert notices[0].verified and all(n == notices[0] for n in notices)


def test_a_refund_notice_names_the_refund(gateway, pki):
    """txnType 04 is a refund: our refund number, its amount, the original queryId."""
    body = body_of(
        pki,
        txnType="04",
        txnSubType="00",
        orderId="R20260102000001",
        txnAmt="1000",
        origQryId="772601011200000000011",
        queryId="772601021000000000022",
    )
    notice = gateway.parse_notice({}, body, expect=expect)
    assert notice.verified, notice.problem
    assert notice.status is TradeStatus.REFUNDED
    assert notice.refund_no == "R20260102000001" and notice.refund_amount == Decimal("10.00")
    assert notice.trade_no == "772601011200000000011" and notice.out_trade_no == ""


# -- UnionPay's back-end API on a local server -------------------------------------------
def answer_text(fields: dict) -> bytes:
    """Synchronous answers are `k=v&...` without URL-encoding, as UnionPay writes them."""
    return "&".join(f"{k}={v}" for k, v in fields.items()).encode()


@pytest.fixture
def unionpay_api(gateway, pki, fake_gateway):
    """Our gateway pointed at a fake UnionPay that checks our signature with our cert."""
    routes = {}

    def respond(call):
        request = dict(parse_qsl(call.body.decode()))
        content = "&".join(f"{k}={v}" for k, v in sorted(request.items()) if k != "signature")
        digest = hashlib.sha256(content.encode()).hexdigest().encode()
        if not keys.verify_sha256(pki.merchant_cert.public_key(), digest, request["signature"]):
            fields = {"respCode": "11", "respMsg": "验证签名失败"}
        else:
            fields = routes[call.path](request)
        fields = {"version": "5.1.0", "signMethod": "01", "merId": MER_ID, **fields}
        return 200, {}, answer_text(unionpay_sign(fields, pki.unionpay, pki.unionpay_cert))

    fake_gateway.respond = respond
    config = UnionPayConfig(**{**gateway.config.__dict__, "gateway_url": fake_gateway.url})
    return UnionPayGateway(config), routes, fake_gateway


def test_response_parser_keeps_certificates_and_braces():
    """UnionPay's answers keep '=', '+', newlines and {..&..} inside values."""
    text = "a=1&signPubKeyCert=-----BEGIN\r\nAB+/==\r\n-----END&reserved={x=1&y=2}&b="
    assert parse_response(text) == {
        "a": "1",
        "signPubKeyCert": "-----BEGIN\r\nAB+/==\r\n-----END",
        "reserved": "{x=1&y=2}",
        "b": "",
    }


def test_refund_is_sent_against_the_original_query_id(unionpay_api):
    """backTransReq txnType 04 with origQryId and fen; accepted means PROCESSING."""
    gw, routes, server = unionpay_api
    routes["/gateway/api/backTransReq.do"] = lambda req: {
        "respCode": "00",
        "respMsg": "成功[0000000]",
        "orderId": req["orderId"],
        "queryId": "772601021000000000022",
        "txnType": "04",
    }
    result = gw.refund(
        out_trade_no="P20260101000003",
        refund_no="R20260102000001",
        amount=Decimal("10.00"),
        total=Decimal("66.00"),
        trade_no="772601011200000000011",
    )
    assert result.status is RefundStatus.PROCESSING
    assert result.refund_id == "772601021000000000022"
    sent = dict(parse_qsl(server.calls[0].body.decode()))
    assert sent["txnType"] == "04" and sent["origQryId"] == "772601011200000000011"
    assert sent["txnAmt"] == "1000" and sent["orderId"] == "R20260102000001"


def test_refund_refused_by_unionpay_is_failed(unionpay_api):
    """A refusal code comes back FAILED with UnionPay's message."""
    gw, routes, server = unionpay_api
    routes["/gateway/api/backTransReq.do"] = lambda req: {
        "respCode": "12",
        "respMsg": "重复交易",
    }
    result = gw.refund(
        out_trade_no="P1",
        refund_no="R1",
        amount=Decimal("1"),
        total=Decimal("66"),
        trade_no="772601011200000000011",
    )
    assert result.status is RefundStatus.FAILED and "重复交易" in result.problem


def test_refund_needs_the_query_id(gateway):
    """Without the payment's queryId there is nothing to refund against: refused before
    any call (a DomainError, so the refund stays requested instead of "unknown")."""
    with pytest.raises(DomainError) as error:
        gateway.refund(out_trade_no="P1", refund_no="R1", amount=Decimal("1"), total=Decimal("2"))
    assert error.value.field == "trade_no"


def test_query_reads_the_original_result(unionpay_api):
    """queryTrans: origRespCode 00 means paid; the answer's signature is checked."""
    gw, routes, server = unionpay_api
    routes["/gateway/api/queryTrans.do"] = lambda req: {
        "respCode": "00",
        "origRespCode": "00",
        "orderId": req["orderId"],
        "txnTime": req["txnTime"],
        "txnAmt": "6600",
        "queryId": "772601011200000000011",
    }
    notice = gw.query_trade(
        "P20260101000003", created_at=datetime(2026, 1, 1, 4, tzinfo=UTC), expect=expect
    )
    assert notice.verified and notice.status is TradeStatus.PAID and notice.via == "query"
    assert dict(parse_qsl(server.calls[0].body.decode()))["txnTime"] == "20260101120000"


def test_an_answer_not_signed_by_unionpay_is_an_error(unionpay_api, pki, fake_gateway):
    """An answer signed by anyone else raises GatewayError."""
    gw, routes, server = unionpay_api

    def forged(call):
        fields = {"version": "5.1.0", "signMethod": "01", "merId": MER_ID, "respCode": "00"}
        return 200, {}, answer_text(unionpay_sign(fields, pki.merchant, pki.unionpay_cert))

    fake_gateway.respond = forged
    with pytest.raises(GatewayError, match="cannot be trusted"):
        gw.query_trade("P20260101000003", created_at=NOW)
