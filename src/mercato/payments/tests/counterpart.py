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
        "MERCATO_PAYMENT_METHODS": (
            "cod,sandbox,alipay_page,alipay_wap,wechat_native,wechat_h5,unionpay_pc"
        ),
        "MERCATO_UNSAFE_ALLOW_SANDBOX": "1",
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
    # The gateways' own books: (gateway, refund number) -> amount paid back. Like the real
    # gateways, one refund number pays out once however often it is sent.
    paid_out: dict = field(default_factory=dict)
    # (gateway, out_trade_no) of every trade the gateway was asked to close
    closed: list = field(default_factory=list)

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

    # -- the remote API ----------------------------------------------------------------------
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
            path = call.path.split("?")[0]
            key = ("wechatpay", path)
            if key not in self.answers:  # paths naming a number: /close, /refunds/<no>
                if path.endswith("/close"):
                    key = ("wechatpay", "close")
                    request = {**request, "out_trade_no": path.split("/")[-2]}
                elif path.startswith("/v3/refund/domestic/refunds/"):
                    key = ("wechatpay", "refund-query")
                    request = {"out_refund_no": path.rsplit("/", 1)[-1]}
            status, answer = self.answers[key](request)
            text = "" if answer is None else json.dumps(answer, ensure_ascii=False)
            headers = signed_headers(self.key_pairs["gateway"], text, timestamp=int(time.time()))
            return status, {"Content-Type": "application/json", **headers}, text.encode()
        request = dict(parse_qsl(call.body.decode()))
        fields = self.answers[("unionpay", call.path)](request)
        fields = {"version": "5.1.0", "signMethod": "01", "merId": MER_ID, **fields}
        signed = unionpay_sign(fields, self.pki["unionpay"], self.pki["unionpay_cert"])
        return 200, {}, answer_text(signed)

    def pay_out(self, gateway: str, refund_no: str, amount) -> bool:
        """Book a refund at the gateway's side; False when that number was paid before."""
        if (gateway, refund_no) in self.paid_out:
            return False
        self.paid_out[(gateway, refund_no)] = Decimal(str(amount))
        return True

    def total_paid_out(self, gateway: str) -> Decimal:
        return sum((a for (g, _), a in self.paid_out.items() if g == gateway), Decimal("0"))

    def refunds_answer_unknown_first(self):
        """The first sending of each refund pays out, but the answer is "system error"
        (Alipay 20000 ACQ.SYSTEM_ERROR, WeChat Pay 500 SYSTEM_ERROR); later sendings of
        the same number answer as the gateways do for a number already refunded."""
        self.refunds_succeed()
        alipay_refund = self.answers[("alipay", "alipay.trade.refund")]
        wechat_refund = self.answers[("wechatpay", "/v3/refund/domestic/refunds")]

        def alipay(biz):
            if (("alipay", biz["out_request_no"])) not in self.paid_out:
                self.pay_out("alipay", biz["out_request_no"], biz["refund_amount"])
                return {
                    "code": "20000",
                    "msg": "Service Currently Unavailable",
                    "sub_code": "ACQ.SYSTEM_ERROR",
                    "sub_msg": "系统错误",
                }
            return alipay_refund(biz)

        def wechat(req):
            if ("wechatpay", req["out_refund_no"]) not in self.paid_out:
                self.pay_out(
                    "wechatpay", req["out_refund_no"], Decimal(req["amount"]["refund"]) / 100
                )
                return 500, {"code": "SYSTEM_ERROR", "message": "系统错误"}
            return wechat_refund(req)

        self.answers[("alipay", "alipay.trade.refund")] = alipay
        self.answers[("wechatpay", "/v3/refund/domestic/refunds")] = wechat

    def trades_close(self, *, paid: set = frozenset()):
        """Close calls succeed for unpaid trades; the numbers in `paid` are paid (Alipay:
        ACQ.TRADE_STATUS_ERROR; WeChat Pay: 400 ORDERPAID), and a query says so."""

        def alipay_close(biz):
            self.closed.append(("alipay", biz["out_trade_no"]))
            if biz["out_trade_no"] in paid:
                return {
                    "code": "40004",
                    "msg": "Business Failed",
                    "sub_code": "ACQ.TRADE_STATUS_ERROR",
                }
            return {"code": "10000", "msg": "Success", "out_trade_no": biz["out_trade_no"]}

        def wechat_close(req):
            self.closed.append(("wechatpay", req["out_trade_no"]))
            if req["out_trade_no"] in paid:
                return 400, {"code": "ORDERPAID", "message": "订单已支付"}
            return 204, None

        self.answers[("alipay", "alipay.trade.close")] = alipay_close
        self.answers[("wechatpay", "close")] = wechat_close

    def refunds_succeed(self):
        """Every gateway accepts refunds: Alipay and WeChat at once, UnionPay processing.
        Each refund number pays out once (self.paid_out); queries answer from those books."""

        def alipay_refund(biz):
            fresh = self.pay_out("alipay", biz["out_request_no"], biz["refund_amount"])
            return {
                "code": "10000",
                "msg": "Success",
                "out_trade_no": biz["out_trade_no"],
                "trade_no": "2026112722001400000000000001",
                "refund_fee": biz["refund_amount"],
                "fund_change": "Y" if fresh else "N",
            }

        def alipay_query(biz):
            amount = self.paid_out.get(("alipay", biz["out_request_no"]))
            if amount is None:  # Alipay answers 10000 without the refund's fields
                return {"code": "10000", "msg": "Success"}
            return {
                "code": "10000",
                "msg": "Success",
                "out_trade_no": biz["out_trade_no"],
                "out_request_no": biz["out_request_no"],
                "trade_no": "2026112722001400000000000001",
                "refund_amount": str(amount),
                "total_amount": "208.00",
                "refund_status": "REFUND_SUCCESS",
            }

        def wechat_answer(req, amount):
            return {
                "refund_id": f"5030{req['out_refund_no']}",
                "out_refund_no": req["out_refund_no"],
                "transaction_id": "4200000000",
                "out_trade_no": req.get("out_trade_no", ""),
                "status": "PROCESSING",
                "amount": {"refund": int(amount * 100), "total": 20800, "currency": "CNY"},
            }

        def wechat_refund(req):
            self.pay_out("wechatpay", req["out_refund_no"], Decimal(req["amount"]["refund"]) / 100)
            return 200, wechat_answer(req, self.paid_out[("wechatpay", req["out_refund_no"])])

        def wechat_query(req):
            amount = self.paid_out.get(("wechatpay", req["out_refund_no"]))
            if amount is None:
                return 404, {"code": "RESOURCE_NOT_EXISTS", "message": "退款单不存在"}
            return 200, {**wechat_answer(req, amount), "status": "SUCCESS"}

        def unionpay_refund(req):
            self.pay_out("unionpay", req["orderId"], Decimal(req["txnAmt"]) / 100)
            return {
                "respCode": "00",
                "respMsg": "成功[0000000]",
                "orderId": req["orderId"],
                "origQryId": req["origQryId"],
                "queryId": f"Q{req['orderId']}",
                "txnAmt": req["txnAmt"],
            }

        self.answers[("alipay", "alipay.trade.refund")] = alipay_refund
        self.answers[("alipay", "alipay.trade.fastpay.refund.query")] = alipay_query
        self.answers[("wechatpay", "/v3/refund/domestic/refunds")] = wechat_refund
        self.answers[("wechatpay", "refund-query")] = wechat_query
        self.answers[("unionpay", "/gateway/api/backTransReq.do")] = unionpay_refund
