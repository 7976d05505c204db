"""支付宝 Alipay open API with RSA2 (SHA256withRSA): page and mobile web pay, notices,
trade query and refund.

Signing (Alipay's "自行实现签名"): every parameter except `sign` with a non-empty value,
sorted by name, joined as `k=v&k=v` with the values as they are (not URL-encoded), signed
with the app's private key. Notices are verified the same way without `sign` and
`sign_type`, with Alipay's public key; answers to API calls by the exact JSON text of the
`<method>_response` member.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives.asymmetric import rsa

from . import conf, keys, remote
from .base import (
    BadNotice,
    ExpectedAmount,
    GatewayError,
    NoticeReply,
    PaymentAction,
    PaymentRequest,
    RefundResult,
    RefundStatus,
    TradeStatus,
    VerifiedNotice,
    check_answer,
    check_trade,
    not_found,
    parse_yuan,
    read_form,
    to_decimal,
    unverified,
)
from .refunds import check_refund_amount

NAME = "alipay"
PRODUCTION_URL = "https://openapi.alipay.com/gateway.do"
BEIJING = ZoneInfo("Asia/Shanghai")
PRODUCT_CODES = {"page": "FAST_INSTANT_TRADE_PAY", "wap": "QUICK_WAP_WAY"}
METHODS = {"page": "alipay.trade.page.pay", "wap": "alipay.trade.wap.pay"}
STATUSES = {
    "WAIT_BUYER_PAY": TradeStatus.PENDING,
    "TRADE_SUCCESS": TradeStatus.PAID,
    "TRADE_FINISHED": TradeStatus.PAID,  # paid, and past the refund period
    "TRADE_CLOSED": TradeStatus.CLOSED,
}
# A notice carrying these is about a refund even when trade_status says TRADE_SUCCESS.
REFUND_FIELDS = ("refund_fee", "out_biz_no", "gmt_refund")
MAX_FIELDS = 200


@dataclass(frozen=True)
class AlipayConfig:
    app_id: str
    seller_id: str  # the merchant's PID, 2088...
    app_private_key: rsa.RSAPrivateKey
    alipay_public_key: rsa.RSAPublicKey
    gateway_url: str = PRODUCTION_URL
    notify_url: str = ""

    @classmethod
    def from_settings(cls) -> AlipayConfig:
        return cls(
            app_id=conf.required("ALIPAY_APP_ID"),
            seller_id=conf.required("ALIPAY_SELLER_ID"),
            app_private_key=keys.load_private_key(conf.pem("ALIPAY_APP_PRIVATE_KEY")),
            alipay_public_key=keys.load_public_key(conf.pem("ALIPAY_PUBLIC_KEY")),
            gateway_url=conf.setting("ALIPAY_GATEWAY_URL", PRODUCTION_URL),
            notify_url=conf.setting("ALIPAY_NOTIFY_URL"),
        )


def sign_content(params: Mapping[str, str], *, exclude: tuple[str, ...]) -> str:
    items = sorted((k, v) for k, v in params.items() if k not in exclude and v != "")
    return "&".join(f"{k}={v}" for k, v in items)


def beijing_time(moment: datetime | None = None) -> str:
    moment = moment or datetime.now(tz=BEIJING)
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


class AlipayGateway:
    name = NAME

    def __init__(self, config: AlipayConfig):
        self.config = config

    @classmethod
    def from_settings(cls) -> AlipayGateway:
        return cls(AlipayConfig.from_settings())

    # -- paying ---------------------------------------------------------------------------
    def create_payment(self, request: PaymentRequest) -> PaymentAction:
        """The signed URL of Alipay's cashier: PC page pay, or mobile web pay ("wap")."""
        channel = request.channel or "page"
        if channel not in METHODS:
            raise ValueError(f"unknown Alipay channel {channel!r}")
        amount = to_decimal(request.amount)
        biz = {
            "out_trade_no": request.out_trade_no,
            "total_amount": str(amount),
            "subject": request.subject[:256],
            "product_code": PRODUCT_CODES[channel],
        }
        if request.expires_at:
            biz["time_expire"] = beijing_time(request.expires_at)
        if channel == "wap" and request.return_url:
            biz["quit_url"] = request.return_url
        extra = {"return_url": request.return_url}
        extra["notify_url"] = request.notify_url or self.config.notify_url
        params = self.signed_params(METHODS[channel], biz, **extra)
        return PaymentAction(
            kind="redirect", amount=amount, url=f"{self.config.gateway_url}?{urlencode(params)}"
        )

    def signed_params(self, method: str, biz: dict, **extra: str) -> dict[str, str]:
        params = {
            "app_id": self.config.app_id,
            "method": method,
            "format": "JSON",
            "charset": "utf-8",
            "sign_type": "RSA2",
            "timestamp": beijing_time(),
            "version": "1.0",
            "biz_content": json.dumps(biz, ensure_ascii=False, separators=(",", ":")),
            **{k: v for k, v in extra.items() if v},
        }
        message = sign_content(params, exclude=("sign",)).encode()
        params["sign"] = keys.sign_sha256(self.config.app_private_key, message)
        return params

    # -- notices --------------------------------------------------------------------------
    def parse_notice(
        self, headers: Mapping[str, str], body: bytes | str, *, expect: ExpectedAmount | None = None
    ) -> VerifiedNotice:
        """Verify an asynchronous notice (a form POST); anything wrong gives verified=False."""
        try:
            raw, params = read_form(body, max_fields=MAX_FIELDS)
        except BadNotice as bad:
            return unverified(NAME, bad.problem, raw=bad.raw)
        if not params.get("sign"):
            return unverified(NAME, "the notice has no sign", raw=raw)
        if params.get("sign_type", "RSA2") != "RSA2":
            return unverified(NAME, f"sign_type {params['sign_type']!r} is not RSA2", raw=raw)
        message = sign_content(params, exclude=("sign", "sign_type")).encode()
        if not keys.verify_sha256(self.config.alipay_public_key, message, params["sign"]):
            return unverified(NAME, "the signature does not verify", raw=raw)
        return check_trade(self._read_trade(params, raw=raw, via="notify"), expect)

    def _read_trade(self, params: Mapping[str, str], *, raw: str, via: str) -> VerifiedNotice:
        """A signed notice or query answer as a VerifiedNotice, with the merchant checked."""
        is_refund = any(params.get(name) for name in REFUND_FIELDS)
        status = STATUSES.get(params.get("trade_status", ""), TradeStatus.UNKNOWN)
        if is_refund and status in (TradeStatus.PAID, TradeStatus.CLOSED):
            status = TradeStatus.REFUNDED  # TRADE_SUCCESS = partly, TRADE_CLOSED = fully
        notice = VerifiedNotice(
            gateway=NAME,
            verified=True,
            signature_valid=True,
            status=status,
            out_trade_no=params.get("out_trade_no", ""),
            trade_no=params.get("trade_no", ""),
            amount=parse_yuan(params.get("total_amount", "")),
            refund_no=params.get("out_biz_no", "") if is_refund else "",
            # refund_fee is the trade's running total, not this refund's amount
            refund_total=parse_yuan(params.get("refund_fee", "")) if is_refund else None,
            notice_id=params.get("notify_id", ""),
            paid_at=params.get("gmt_payment", "") or params.get("send_pay_date", ""),
            via=via,
            raw=raw,
            data=dict(params),
        )
        if params.get("app_id", self.config.app_id) != self.config.app_id:
            return notice.refused(f"app_id {params.get('app_id')!r} is not ours")
        if via == "notify" and params.get("app_id") is None:
            return notice.refused("the notice has no app_id")
        seller = params.get("seller_id")
        if seller is not None and seller != self.config.seller_id:
            return notice.refused(f"seller_id {seller!r} is not ours")
        if via == "notify" and seller is None:
            return notice.refused("the notice has no seller_id")
        if notice.amount is None:
            return notice.refused("total_amount is missing or not an amount")
        if status is TradeStatus.UNKNOWN:
            return notice.refused(f"trade_status {params.get('trade_status')!r} is not known")
        return notice

    def notice_reply(self, ok: bool) -> NoticeReply:
        # Alipay retries until it reads exactly "success" (for about 25 hours).
        return NoticeReply(status=200, body="success" if ok else "failure")

    # -- active calls ---------------------------------------------------------------------
    def query_trade(
        self, out_trade_no: str, *, expect: ExpectedAmount | None = None, **_
    ) -> VerifiedNotice:
        """Ask Alipay about a trade (alipay.trade.query); the answer is signature-checked."""
        answer, raw = self._call("alipay.trade.query", {"out_trade_no": out_trade_no})
        if answer.get("code") != "10000":
            if answer.get("sub_code") == "ACQ.TRADE_NOT_EXIST":
                return not_found(NAME, out_trade_no, raw=raw, data=answer)
            raise GatewayError(f"Alipay refused the query: {_reason(answer)}")
        notice = self._read_trade({k: str(v) for k, v in answer.items()}, raw=raw, via="query")
        return check_answer(notice, out_trade_no, expect)

    def refund(
        self,
        *,
        out_trade_no: str,
        refund_no: str,
        amount: Decimal,
        total: Decimal,
        reason: str = "",
        trade_no: str = "",
        **_,
    ) -> RefundResult:
        """Refund part or all of a paid trade (alipay.trade.refund). Code 10000 is final;
        ACQ.SYSTEM_ERROR / code 20000 is UNKNOWN: the refund may have gone through, so it is
        retried with the same out_request_no (Alipay refunds one number once) and queried.
        """
        amount = check_refund_amount(amount=amount, total=total)
        biz = {
            "out_trade_no": out_trade_no,
            "refund_amount": str(amount),
            "out_request_no": refund_no,
            "refund_reason": reason[:256],
        }
        answer, raw = self._call("alipay.trade.refund", biz)
        if answer.get("code") != "10000":
            status = RefundStatus.UNKNOWN if _retry_later(answer) else RefundStatus.FAILED
            return RefundResult(NAME, refund_no, status, amount, problem=_reason(answer), raw=raw)
        if answer.get("out_trade_no") != out_trade_no:
            raise GatewayError("Alipay's refund answer is about another trade")
        return RefundResult(
            NAME,
            refund_no,
            RefundStatus.SUCCESS,
            amount,
            trade_no=answer.get("trade_no", ""),
            raw=raw,
        )

    def query_refund(
        self, *, out_trade_no: str, refund_no: str, amount: Decimal, **_
    ) -> RefundResult:
        """alipay.trade.fastpay.refund.query: an answer naming our out_request_no with its
        amount (refund_status empty or REFUND_SUCCESS) means refunded; an answer without
        the refund means Alipay never refunded it (send it again, same number)."""
        amount = to_decimal(amount)
        biz = {
            "out_trade_no": out_trade_no,
            "out_request_no": refund_no,
            "query_options": ["gmt_refund_pay"],
        }
        answer, raw = self._call("alipay.trade.fastpay.refund.query", biz)
        if answer.get("code") != "10000":
            raise GatewayError(f"Alipay refused the refund query: {_reason(answer)}")
        if not answer.get("out_request_no") or not answer.get("refund_amount"):
            return RefundResult(NAME, refund_no, RefundStatus.NOT_FOUND, amount, raw=raw)
        if answer.get("out_request_no") != refund_no or answer.get("out_trade_no") not in (
            None,
            out_trade_no,
        ):
            raise GatewayError("Alipay's refund query answer is about another refund")
        if parse_yuan(str(answer.get("refund_amount"))) != amount:
            raise GatewayError(
                f"Alipay refunded {answer.get('refund_amount')} under {refund_no}, not {amount}"
            )
        if answer.get("refund_status", "REFUND_SUCCESS") not in ("", "REFUND_SUCCESS"):
            return RefundResult(NAME, refund_no, RefundStatus.PROCESSING, amount, raw=raw)
        trade_no = answer.get("trade_no", "")
        return RefundResult(
            NAME, refund_no, RefundStatus.SUCCESS, amount, trade_no=trade_no, raw=raw
        )

    def close_trade(self, out_trade_no: str, **_) -> TradeStatus:
        """alipay.trade.close: an unpaid trade can no longer be paid. A trade Alipay never
        saw (the buyer never opened the cashier) is NOT_FOUND; one that is paid or already
        finished cannot be closed (UNKNOWN: query it)."""
        answer, _raw = self._call("alipay.trade.close", {"out_trade_no": out_trade_no})
        if answer.get("code") == "10000":
            return TradeStatus.CLOSED
        sub_code = answer.get("sub_code")
        if sub_code == "ACQ.TRADE_NOT_EXIST":
            return TradeStatus.NOT_FOUND
        if sub_code == "ACQ.TRADE_STATUS_ERROR":
            return TradeStatus.UNKNOWN
        raise GatewayError(f"Alipay did not close the trade: {_reason(answer)}")

    def _call(self, method: str, biz: dict) -> tuple[dict, str]:
        params = self.signed_params(method, biz)
        response = remote.send(
            "POST",
            f"{self.config.gateway_url}?charset=utf-8",
            body=urlencode(params).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded;charset=utf-8"},
        )
        raw = response.text
        content, sign = signed_part(raw, method.replace(".", "_") + "_response")
        if not keys.verify_sha256(self.config.alipay_public_key, content.encode(), sign):
            raise GatewayError("Alipay's answer has a bad signature")
        return json.loads(content), raw


def signed_part(raw: str, key: str) -> tuple[str, str]:
    """The exact text of the `key` member, which Alipay signed, and the signature."""
    try:
        document = json.loads(raw)
    except ValueError as error:
        raise GatewayError("Alipay's answer is not JSON") from error
    if not isinstance(document, dict) or key not in document:
        error = document.get("error_response") if isinstance(document, dict) else None
        raise GatewayError(f"Alipay's answer has no {key}: {_reason(error or {})}")
    if not document.get("sign"):
        raise GatewayError(f"Alipay's answer is not signed: {_reason(document[key])}")
    match = re.search(rf'"{re.escape(key)}"\s*:\s*', raw)
    if match is None:  # the key was written with escapes: we cannot find the signed text
        raise GatewayError(f"cannot find {key} in Alipay's answer")
    _, end = json.JSONDecoder().raw_decode(raw, match.end())
    return raw[match.end() : end], document["sign"]


def _retry_later(answer: Mapping) -> bool:
    """Alipay's "system busy, try again with the same request": the outcome is unknown."""
    return answer.get("code") == "20000" or answer.get("sub_code") in (
        "ACQ.SYSTEM_ERROR",
        "aop.ACQ.SYSTEM_ERROR",
    )


def _reason(answer: Mapping) -> str:
    parts = (answer.get("code"), answer.get("msg"), answer.get("sub_code"), answer.get("sub_msg"))
    return " ".join(str(p) for p in parts if p) or "no reason given"
