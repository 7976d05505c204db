"""Whatever arrives at a notify URL, parse_notice answers; it never raises."""

from decimal import Decimal
from urllib.parse import urlencode

from hypothesis import given, settings
from hypothesis import strategies as st

from mercato.payments.gateways import keys
from mercato.payments.gateways.alipay import AlipayConfig, AlipayGateway
from mercato.payments.gateways.cod import CodGateway
from mercato.payments.gateways.sandbox import SandboxConfig, SandboxGateway
from mercato.payments.gateways.wechatpay import WechatPayConfig, WechatPayGateway

from .conftest import make_key_pair

KEY = make_key_pair()
PUBLIC = keys.load_public_key(KEY.public_pem)
GATEWAYS = [
    AlipayGateway(AlipayConfig("2021", "2088", KEY.key, PUBLIC)),
    WechatPayGateway(WechatPayConfig("19", "wx", "S", KEY.key, "k" * 32, {"S": PUBLIC})),
    SandboxGateway(SandboxConfig(secret=b"s")),
    CodGateway(),
]
FIELD_NAMES = st.sampled_from(
    ["sign", "sign_type", "signature", "app_id", "total_amount", "out_trade_no", "trade_status"]
)


def expect(out_trade_no):
    return Decimal("1.00")


@settings(max_examples=150, deadline=None)
@given(body=st.binary(max_size=400) | st.text(max_size=400).map(str.encode))
def test_any_bytes_give_an_unverified_notice(body):
    """Random bytes to every gateway: verified=False with a reason, no exception."""
    headers = {"Wechatpay-Serial": "S", "Wechatpay-Timestamp": "1", "Wechatpay-Signature": "x"}
    for gateway in GATEWAYS:
        notice = gateway.parse_notice(headers, body, expect=expect)
        assert not notice.verified and notice.problem


@settings(max_examples=150, deadline=None)
@given(fields=st.dictionaries(FIELD_NAMES | st.text(max_size=10), st.text(max_size=40)))
def test_any_form_gives_an_unverified_notice(fields):
    """Forms with plausible field names and any values are refused, never raise."""
    body = urlencode(fields).encode()
    for gateway in GATEWAYS:
        assert not gateway.parse_notice({}, body, expect=expect).verified
