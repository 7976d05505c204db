"""The other side of every gateway for the payment-model tests: settings that point our
gateways at keys the tests generated and at one local fake server, and signers that write
notices and answers as Alipay, WeChat Pay, UnionPay and the sandbox do."""

import json
import time
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import parse_qsl, urlencode

from alipay import AliPay
from cryptography.hazmat.primitives import serialization

from mercato.payments.gateways.sandbox import SandboxGateway

from .conftest import make_key_pair
from .test_alipay import APP_ID, SELLER_ID, alipay_answer, notice_fields
from .test_unionpay import MER_ID, answer_text, consume_notice, make_cert, pem, unionpay_sign
from .test_wechatpay import APIV3_KEY, APPID, MCHID, PLATFORM_SERIAL, signed_headers
from .test_wechatpay import encrypted_notice as wechat_envelope

CA_DAYS = (-30, 3650)  # valid for ten years from the tests' fixed date: no expiry surprise


def make_pki():
    root_key, middle_key = make_key_pair(), make_key_pair()
    unionpay_key, merchant_key = make_key_pair(), make_key_pair()
    root = make_cert("Test UnionPay Root", root_key, ca=True, days=CA_DAYS)
    middle = make_cert(
        "Test UnionPay Middle", middle_key, (root, root_key.key), ca=True, days=CA_DAYS
    )
    return {
        "root": root,
        "middle": middle,
        "unionpay": unionpay_key,
        "unionpay_cert": make_cert(
            "041@Z12@中国银联股份有限公司@00000001",
            unionpay_key,
            (middle, middle_key.key),
            days=CA_DAYS,
        ),
        "merchant": merchant_key,
        "merchant_cert": make_cert(
            "041@Z12@Mercato Test Shop@00000002",
            merchant_key,
            (middle, middle_key.key),
            days=CA_DAYS,
        ),
    }


def gateway_settings(key_pairs, pki, url: str) -> dict:
    """settings.MERCATO_PAYMENTS for every gateway, remote calls going to `url`."""
    merchant, gateway = key_pairs["merchant"], key_pairs["gateway"]
    key_pem = (
        pki["merchant"]
        .key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )
    return {
        "MERCATO_PAYMENT_METHODS": "cod,sandbox,alipay_page,wechat_native,unionpay_pc",
        "MERCATO_SANDBOX_PAY_SECRET": "sandbox-test-secret",
        "ALIPAY_APP_ID": APP_ID,
        "ALIPAY_SELLER_ID": SELLER_ID,
        "ALIPAY_APP_PRIVATE_KEY": merchant.private_pem,
        "ALIPAY_PUBLIC_KEY": gateway.public_pem,
        "ALIPAY_GATEWAY_URL": f"{url}/gateway.do",
        "WECHATPAY_MCHID": MCHID,
        "WECHATPAY_APPID": APPID,
        "WECHATPAY_SERIAL_NO": "MERCHANT-SERIAL-1",
        "WECHATPAY_PRIVATE_KEY": merchant.private_pem,
        "WECHATPAY_APIV3_KEY": APIV3_KEY,
        "WECHATPAY_PLATFORM_SERIAL": PLATFORM_SERIAL,
        "WECHATPAY_PLATFORM_KEY": gateway.public_pem,
        "WECHATPAY_BASE_URL": url,
        "UNIONPAY_MER_ID": MER_ID,
        "UNIONPAY_SIGN_KEY": key_pem,
        "UNIONPAY_SIGN_CERT": pem(pki["merchant_cert"]),
        "UNIONPAY_ROOT_CERT": pem(pki["root"]),
        "UNIONPAY_MIDDLE_CERT": pem(pki["middle"]),
        "UNIONPAY_GATEWAY_URL": url,
        "UNIONPAY_BACK_URL": "https://shop.example.com/payments/notify/unionpay/",
    }


def fen(amount: Decimal) -> int:
    return int(amount * 100)


@dataclass
class Counterpart:
    """Signs notices as each gateway does, and answers our refund and query calls."""

    key_pairs: dict
    pki: dict
    server: object  # conftest.FakeGateway
    answers: dict = field(default_factory=dict)  # (gateway, what) -> fn(request) -> dict

    def __post_init__(self):
        self.alipay = AliPay(
            appid=APP_ID,
            app_private_key_string=self.key_pairs["gateway"].private_pem,
            alipay_public_key_string=self.key_pairs["merchant"].public_pem,
        )
        self.server.respond = self.respond

    # -- notices ----------------------------------------------------------------------------
    def alipay_notice(self, payment, *, signer=None, **changes) -> tuple[dict, str]:
        ours = {"out_trade_no": payment.number, "total_amount": str(payment.amount)}
        fields = notice_fields(**{**ours, **changes})
        return {}, (signer or self.alipay).sign_data(fields) + "&sign_type=RSA2"

    def wechat_notice(
        self, payment, *, age: int = 10, signer=None, resource=None, event_type=None, **changes
    ):
        data = resource or {
            "mchid": MCHID,
            "appid": APPID,
            "out_trade_no": payment.number,
            "transaction_id": f"4200{payment.number}",
            "trade_type": "NATIVE",
            "trade_state": "SUCCESS",
            "success_time": "2026-11-27T12:00:04+08:00",
            "amount": {"total": fen(payment.amount), "currency": "CNY"},
            **changes,
        }
        body = wechat_envelope(data, event_type=event_type or "TRANSACTION.SUCCESS")
        headers = signed_headers(
            signer or self.key_pairs["gateway"], body, timestamp=int(time.time()) - age
        )
        return headers, body

    def wechat_refund_notice(self, payment, refund, status="SUCCESS"):
        resource = {
            "mchid": MCHID,
            "out_trade_no": payment.number,
            "transaction_id": payment.trade_no,
            "out_refund_no": refund.refund_no,
            "refund_id": f"5030{refund.refund_no}",
            "refund_status": status,
            "amount": {
                "total": fen(payment.amount),
                "refund": fen(refund.amount),
                "payer_total": fen(payment.amount),
                "payer_refund": fen(refund.amount),
            },
        }
        return self.wechat_notice(payment, resource=resource, event_type=f"REFUND.{status}")

    def unionpay_notice(self, payment, *, signer=None, cert=None, **changes):
        ours = {"orderId": payment.number, "txnAmt": str(fen(payment.amount))}
        fields = consume_notice(**{**ours, **changes})
        signed = unionpay_sign(
            fields, signer or self.pki["unionpay"], cert or self.pki["unionpay_cert"]
        )
        return {}, urlencode(signed)

    def unionpay_refund_notice(self, refund, *, resp_code="00"):
        fields = consume_notice(
            txnType="04",
            txnSubType="00",
            orderId=refund.refund_no,
            origQryId=refund.payment.trade_no,
            txnAmt=str(fen(refund.amount)),
            queryId=f"Q{refund.refund_no}",
            respCode=resp_code,
        )
        signed = unionpay_sign(fields, self.pki["unionpay"], self.pki["unionpay_cert"])
        return {}, urlencode(signed)

    def sandbox_notice(self, payment, **kwargs):
        gateway = SandboxGateway.from_settings()
        return {}, gateway.sign_notice(
            out_trade_no=payment.number, amount=kwargs.pop("amount", payment.amount), **kwargs
        )

    def notice(self, payment, **changes):
        make = {
            "alipay": self.alipay_notice,
            "wechatpay": self.wechat_notice,
            "unionpay": self.unionpay_notice,
            "sandbox": self.sandbox_notice,
        }[payment.gateway]
        return make(payment, **changes)

    # -- the remote API ---------------------------------------------------------------------
    def respond(self, call):
        if call.path.startswith("/gateway.do"):
            params = dict(parse_qsl(call.body.decode()))
            biz = json.loads(params["biz_content"])
            answer = self.answers[("alipay", params["method"])](biz)
            return (
                200,
                {"Content-Type": "application/json"},
                alipay_answer(self.alipay, params["method"], answer),
            )
        if call.path.startswith("/v3/"):
            request = json.loads(call.body.decode() or "{}")
            status, answer = self.answers[("wechatpay", call.path.split("?")[0])](request)
            text = json.dumps(answer, ensure_ascii=False)
            headers = signed_headers(self.key_pairs["gateway"], text, timestamp=int(time.time()))
            return status, {"Content-Type": "application/json", **headers}, text.encode()
        request = dict(parse_qsl(call.body.decode()))
        fields = self.answers[("unionpay", call.path)](request)
        fields = {"version": "5.1.0", "signMethod": "01", "merId": MER_ID, **fields}
        signed = unionpay_sign(fields, self.pki["unionpay"], self.pki["unionpay_cert"])
        return 200, {}, answer_text(signed)

    def refunds_succeed(self):
        """Every gateway accepts refunds: Alipay and WeChat at once, UnionPay processing."""
        self.answers[("alipay", "alipay.trade.refund")] = lambda biz: {
            "code": "10000",
            "msg": "Success",
            "out_trade_no": biz["out_trade_no"],
            "trade_no": "2026112722001400000000000001",
            "refund_fee": biz["refund_amount"],
            "fund_change": "Y",
        }
        self.answers[("wechatpay", "/v3/refund/domestic/refunds")] = lambda req: (
            200,
            {
                "refund_id": f"5030{req['out_refund_no']}",
                "out_refund_no": req["out_refund_no"],
                "transaction_id": "4200000000",
                "out_trade_no": req["out_trade_no"],
                "status": "PROCESSING",
                "amount": req["amount"],
            },
        )
        self.answers[("unionpay", "/gateway/api/backTransReq.do")] = lambda req: {
            "respCode": "00",
            "respMsg": "成功[0000000]",
            "orderId": req["orderId"],
            "origQryId": req["origQryId"],
            "queryId": f"Q{req['orderId']}",
            "txnAmt": req["txnAmt"],
        }
