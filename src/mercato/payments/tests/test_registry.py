"""The registry, configuration from settings, cash on delivery and the sandbox gateway."""

from decimal import Decimal
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from mercato.payments.gateways import (
    GATEWAYS,
    METHODS,
    enabled_methods,
    get_gateway,
)
from mercato.payments.gateways.base import (
    GatewayNotConfigured,
    PaymentRequest,
    RefundStatus,
    TradeStatus,
    from_fen,
    to_decimal,
    to_fen,
)
from mercato.payments.gateways.sandbox import SandboxConfig, SandboxGateway

REQUEST = PaymentRequest(
    out_trade_no="P20260101000004",
    amount=Decimal("35.90"),
    subject="订单 P20260101000004",
    return_url="/pay/return",
    notify_url="/pay/notify/sandbox",
)


def expect(out_trade_no):
    return {"P20260101000004": Decimal("35.90")}.get(out_trade_no)


def test_every_method_names_a_registered_gateway():
    """Each payment method points at a gateway in the table, which has the whole interface."""
    for method in METHODS.values():
        gateway = GATEWAYS[method.gateway]
        for name in ("from_settings", "create_payment", "parse_notice", "notice_reply"):
            assert callable(getattr(gateway, name)), (method.code, name)
        assert callable(gateway.query_trade) and callable(gateway.refund)


def test_enabled_methods_follow_the_setting(settings):
    """MERCATO_PAYMENT_METHODS picks and orders the methods; an unknown code is named."""
    settings.MERCATO_PAYMENTS = {"MERCATO_PAYMENT_METHODS": "sandbox, alipay_page"}
    assert [m.code for m in enabled_methods()] == ["sandbox", "alipay_page"]
    settings.MERCATO_PAYMENTS = {"MERCATO_PAYMENT_METHODS": "cod,bitcoin"}
    with pytest.raises(GatewayNotConfigured, match="bitcoin"):
        enabled_methods()


def test_a_gateway_without_its_keys_names_the_missing_setting(settings, monkeypatch):
    """Asking for Alipay with nothing configured says which variable is missing."""
    settings.MERCATO_PAYMENTS = {}
    monkeypatch.delenv("ALIPAY_APP_ID", raising=False)
    with pytest.raises(GatewayNotConfigured) as error:
        get_gateway("alipay")
    assert error.value.field == "ALIPAY_APP_ID"
    with pytest.raises(GatewayNotConfigured):
        get_gateway("paypal")


def test_alipay_keys_are_read_from_files_or_strings(settings, tmp_path, key_pairs):
    """Keys come from a PEM string or from a file named by the *_FILE variable."""
    key_file = tmp_path / "app_private_key.pem"
    key_file.write_text(key_pairs["merchant"].private_pem)
    # Alipay's console shows its public key as bare base64, without PEM lines
    bare = "".join(key_pairs["gateway"].public_pem.strip().splitlines()[1:-1])
    settings.MERCATO_PAYMENTS = {
        "ALIPAY_APP_ID": "2021000000000001",
        "ALIPAY_SELLER_ID": "2088000000000001",
        "ALIPAY_APP_PRIVATE_KEY_FILE": str(key_file),
        "ALIPAY_PUBLIC_KEY": bare,
    }
    gateway = get_gateway("alipay")
    assert gateway.config.app_id == "2021000000000001"
    assert gateway.config.alipay_public_key.public_numbers() == (
        key_pairs["gateway"].key.public_key().public_numbers()
    )


def test_cod_tells_what_to_collect_and_refunds_by_hand():
    """Cash on delivery sends the customer nowhere and refunds through finance."""
    gateway = get_gateway("cod")
    action = gateway.create_payment(REQUEST)
    assert action.kind == "none" and action.amount == Decimal("35.90")
    assert "35.90" in action.message
    assert not gateway.parse_notice({}, b"status=paid").verified
    result = gateway.refund(
        out_trade_no="P1", refund_no="R1", amount=Decimal("5"), total=Decimal("35.90")
    )
    assert result.status is RefundStatus.MANUAL


@pytest.fixture
def sandbox():
    return SandboxGateway(SandboxConfig(secret=b"test-secret", pay_url="/payments/sandbox/pay/"))


def test_sandbox_pay_url_is_signed(sandbox):
    """The sandbox page gets the trade in signed parameters; a changed amount fails."""
    url = sandbox.create_payment(REQUEST).url
    assert url.startswith("/payments/sandbox/pay/?")
    params = dict(parse_qsl(urlsplit(url).query))
    assert params["amount"] == "35.90" and sandbox.has_valid_signature(params)
    assert not sandbox.has_valid_signature({**params, "amount": "0.01"})


def test_sandbox_notice_round_trip(sandbox):
    """An approved payment's notice verifies as paid; a declined one as failed."""
    body = sandbox.sign_notice(out_trade_no="P20260101000004", amount=Decimal("35.90"))
    notice = sandbox.parse_notice({}, body, expect=expect)
    assert notice.verified and notice.status is TradeStatus.PAID
    declined = sandbox.sign_notice(
        out_trade_no="P20260101000004", amount=Decimal("35.90"), status="declined"
    )
    assert sandbox.parse_notice({}, declined, expect=expect).status is TradeStatus.FAILED


def test_sandbox_refuses_a_notice_signed_with_another_secret(sandbox):
    """A notice signed with any other secret, or changed after signing, is refused."""
    other = SandboxGateway(SandboxConfig(secret=b"guessed"))
    body = other.sign_notice(out_trade_no="P20260101000004", amount=Decimal("35.90"))
    assert sandbox.parse_notice({}, body, expect=expect).problem == "the signature does not verify"
    genuine = dict(
        parse_qsl(sandbox.sign_notice(out_trade_no="P20260101000004", amount=Decimal("35.90")))
    )
    tampered = urlencode({**genuine, "amount": "0.01"})
    assert not sandbox.parse_notice({}, tampered, expect=expect).verified


def test_sandbox_refund_notice(sandbox):
    """A sandbox refund notice is a refund with its number and amount."""
    body = sandbox.sign_notice(
        out_trade_no="P20260101000004",
        amount=Decimal("35.90"),
        status="refunded",
        refund_no="R1",
        refund_amount=Decimal("5.00"),
    )
    notice = sandbox.parse_notice({}, body, expect=expect)
    assert notice.verified and notice.status is TradeStatus.REFUNDED
    assert notice.refund_no == "R1" and notice.refund_amount == Decimal("5.00")


def test_sandbox_secret_defaults_to_one_derived_from_secret_key(settings):
    """Without MERCATO_SANDBOX_PAY_SECRET the demo still signs, with a derived secret."""
    settings.MERCATO_PAYMENTS = {}
    settings.SECRET_KEY = "k" * 50
    secret = SandboxConfig.from_settings().secret
    assert secret and secret != settings.SECRET_KEY.encode()


@pytest.mark.parametrize("body", [b"", b"\xff", b"x", b"a=1&a=2", b"status=paid"])
def test_sandbox_malformed_notices_are_refused(sandbox, body):
    """Garbage gives verified=False with a reason, never an exception."""
    notice = sandbox.parse_notice({}, body, expect=expect)
    assert not notice.verified and notice.problem


def test_money_converts_to_fen_exactly():
    """Yuan to fen and back is exact; floats and sub-fen amounts are refused."""
    assert to_fen(Decimal("120.50")) == 12050 and from_fen(12050) == Decimal("120.50")
    assert to_fen(Decimal("0.1")) == 10
    with pytest.raises(TypeError):
        to_decimal(0.1)
    with pytest.raises(ValueError):
        to_decimal(Decimal("1.005"))
