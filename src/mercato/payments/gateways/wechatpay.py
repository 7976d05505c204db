"""微信支付 WeChat Pay API v3: Native (QR code) and H5 orders, notices, query and refund.

Requests carry `Authorization: WECHATPAY2-SHA256-RSA2048 ...`, a SHA256withRSA signature
of "METHOD\\nPATH?QUERY\\nTIMESTAMP\\nNONCE\\nBODY\\n" with the merchant's key. Answers
and notices are signed by WeChat Pay over "TIMESTAMP\\nNONCE\\nBODY\\n"; we check them with
the platform key named by `Wechatpay-Serial` and refuse timestamps more than 5 minutes off.
A notice's `resource` is AES-256-GCM encrypted with the APIv3 key.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import quote, urlencode

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from . import conf, keys, remote
from .base import (
    ExpectedAmount,
    GatewayError,
    NoticeReply,
    PaymentAction,
    PaymentRequest,
    RefundResult,
    RefundStatus,
    TradeStatus,
    VerifiedNotice,
    as_text,
    check_answer,
    check_trade,
    header,
    not_found,
    parse_fen,
    to_decimal,
    to_fen,
    unverified,
)
from .refunds import check_refund_amount

NAME = "wechatpay"
PRODUCTION_URL = "https://api.mch.weixin.qq.com"
MAX_CLOCK_SKEW_SECONDS = 5 * 60
TRADE_STATUSES = {
    "SUCCESS": TradeStatus.PAID,
    "REFUND": TradeStatus.REFUNDED,  # paid, then (partly) refunded
    "NOTPAY": TradeStatus.PENDING,
    "USERPAYING": TradeStatus.PENDING,
    "CLOSED": TradeStatus.CLOSED,
    "REVOKED": TradeStatus.CLOSED,
    "PAYERROR": TradeStatus.FAILED,
}
REFUND_STATUSES = {
    "SUCCESS": RefundStatus.SUCCESS,
    "PROCESSING": RefundStatus.PROCESSING,
    "CLOSED": RefundStatus.FAILED,
    "ABNORMAL": RefundStatus.FAILED,  # e.g. the buyer's card was cancelled: finance acts
}


@dataclass(frozen=True)
class WechatPayConfig:
    mchid: str
    appid: str
    serial_no: str  # the serial of the merchant's API certificate
    private_key: rsa.RSAPrivateKey
    apiv3_key: str  # 32 characters
    platform_keys: dict[str, rsa.RSAPublicKey]  # serial (or public key id) -> key
    base_url: str = PRODUCTION_URL
    notify_url: str = ""
    clock: Callable[[], float] = field(default=time.time, compare=False)

    @classmethod
    def from_settings(cls) -> WechatPayConfig:
        platform_key = keys.load_public_key(conf.pem("WECHATPAY_PLATFORM_KEY"))
        return cls(
            mchid=conf.required("WECHATPAY_MCHID"),
            appid=conf.required("WECHATPAY_APPID"),
            serial_no=conf.required("WECHATPAY_SERIAL_NO"),
            private_key=keys.load_private_key(conf.pem("WECHATPAY_PRIVATE_KEY")),
            apiv3_key=conf.required("WECHATPAY_APIV3_KEY"),
            platform_keys={conf.required("WECHATPAY_PLATFORM_SERIAL"): platform_key},
            base_url=conf.setting("WECHATPAY_BASE_URL", PRODUCTION_URL),
            notify_url=conf.setting("WECHATPAY_NOTIFY_URL"),
        )


class WechatPayGateway:
    name = NAME

    def __init__(self, config: WechatPayConfig):
        if len(config.apiv3_key.encode()) != 32:
            raise ValueError("the APIv3 key must be 32 bytes")
        self.config = config

    @classmethod
    def from_settings(cls) -> WechatPayGateway:
        return cls(WechatPayConfig.from_settings())

    # -- paying ---------------------------------------------------------------------------
    def create_payment(self, request: PaymentRequest) -> PaymentAction:
        """Create the order at WeChat Pay: Native gives a QR code, H5 a URL to open."""
        channel = request.channel or "native"
        if channel not in ("native", "h5"):
            raise ValueError(f"unknown WeChat Pay channel {channel!r}")
        amount = to_decimal(request.amount)
        order = {
            "appid": self.config.appid,
            "mchid": self.config.mchid,
            "description": request.subject[:127],
            "out_trade_no": request.out_trade_no,
            "notify_url": request.notify_url or self.config.notify_url,
            "amount": {"total": to_fen(amount), "currency": "CNY"},
        }
        if request.expires_at:
            order["time_expire"] = request.expires_at.isoformat(timespec="seconds")
        if channel == "h5":
            order["scene_info"] = {
                "payer_client_ip": request.client_ip,
                "h5_info": {"type": "Wap"},
            }
        status, answer, _ = self._call("POST", f"/v3/pay/transactions/{channel}", order)
        if status != 200:
            raise GatewayError(f"WeChat Pay refused the order: {_reason(answer)}")
        if channel == "native":
            return PaymentAction(kind="qr", amount=amount, qr_payload=answer["code_url"])
        url = answer["h5_url"]
        if request.return_url:  # WeChat sends the browser back here after paying
            url += "&redirect_url=" + quote(request.return_url, safe="")
        return PaymentAction(kind="redirect", amount=amount, url=url)

    def authorization(self, method: str, path: str, body: str) -> str:
        timestamp = str(int(self.config.clock()))
        nonce = secrets.token_hex(16)
        message = f"{method}\n{path}\n{timestamp}\n{nonce}\n{body}\n".encode()
        signature = keys.sign_sha256(self.config.private_key, message)
        return (
            f'WECHATPAY2-SHA256-RSA2048 mchid="{self.config.mchid}",nonce_str="{nonce}",'
            f'signature="{signature}",timestamp="{timestamp}",serial_no="{self.config.serial_no}"'
        )

    # -- notices --------------------------------------------------------------------------
    def signature_problem(self, headers: Mapping[str, str], body: str) -> str:
        """Why a notice or an answer is not WeChat Pay's own and fresh; "" when it is."""
        serial = header(headers, "Wechatpay-Serial")
        key = self.config.platform_keys.get(serial)
        if key is None:
            return f"unknown platform serial {serial!r}"
        timestamp = header(headers, "Wechatpay-Timestamp")
        if not timestamp.isdigit():
            return "no Wechatpay-Timestamp"
        if abs(self.config.clock() - int(timestamp)) > MAX_CLOCK_SKEW_SECONDS:
            return "the timestamp is more than 5 minutes off"  # a replay, or a bad clock
        nonce = header(headers, "Wechatpay-Nonce")
        message = f"{timestamp}\n{nonce}\n{body}\n".encode()
        if not keys.verify_sha256(key, message, header(headers, "Wechatpay-Signature")):
            return "the signature does not verify"
        return ""

    def parse_notice(
        self, headers: Mapping[str, str], body: bytes | str, *, expect: ExpectedAmount | None = None
    ) -> VerifiedNotice:
        """Verify and decrypt a notice; anything wrong gives verified=False with the reason."""
        raw = as_text(body)
        if raw is None:
            return unverified(NAME, "the body is not UTF-8 text")
        problem = self.signature_problem(headers, raw)
        if problem:
            return unverified(NAME, problem, raw=raw)
        try:
            envelope = json.loads(raw)
            resource = envelope["resource"]
            event_type = str(envelope["event_type"])
            if resource["algorithm"] != "AEAD_AES_256_GCM":
                return unverified(NAME, f"unknown algorithm {resource['algorithm']!r}", raw=raw)
            plain = self.decrypt(
                resource["nonce"], resource["ciphertext"], resource.get("associated_data", "")
            )
            data = json.loads(plain)
            if not isinstance(data, dict):
                raise TypeError("the resource is not an object")
        except (ValueError, KeyError, TypeError, binascii.Error):
            return unverified(NAME, "the notice is not a WeChat Pay notice", raw=raw)
        except InvalidTag:
            return unverified(NAME, "the resource does not decrypt with our APIv3 key", raw=raw)
        notice = self._read(data, raw=raw, via="notify", notice_id=str(envelope.get("id", "")))
        if event_type.startswith("REFUND.") != bool(data.get("out_refund_no")):
            return notice.refused(f"event_type {event_type!r} does not match its resource")
        return check_trade(notice, expect)

    def decrypt(self, nonce: str, ciphertext: str, associated_data: str) -> str:
        key = AESGCM(self.config.apiv3_key.encode())
        plain = key.decrypt(
            nonce.encode(), base64.b64decode(ciphertext, validate=True), associated_data.encode()
        )
        return plain.decode()

    def _read(self, data: dict, *, raw: str, via: str, notice_id: str = "") -> VerifiedNotice:
        amount = data.get("amount") if isinstance(data.get("amount"), dict) else {}
        is_refund = bool(data.get("out_refund_no"))
        if is_refund:
            refund_status = REFUND_STATUSES.get(data.get("refund_status"))
            status = (
                TradeStatus.REFUNDED
                if refund_status is RefundStatus.SUCCESS
                else TradeStatus.REFUND_FAILED
            )
        else:
            status = TRADE_STATUSES.get(data.get("trade_state"), TradeStatus.UNKNOWN)
        notice = VerifiedNotice(
            gateway=NAME,
            verified=True,
            signature_valid=True,
            status=status,
            out_trade_no=str(data.get("out_trade_no", "")),
            trade_no=str(data.get("transaction_id", "")),
            amount=parse_fen(amount.get("total")),
            refund_no=str(data.get("out_refund_no", "")),
            refund_amount=parse_fen(amount.get("refund")) if is_refund else None,
            notice_id=notice_id,
            paid_at=str(data.get("success_time", "")),
            via=via,
            raw=raw,
            data=data,
        )
        if data.get("mchid") != self.config.mchid:
            return notice.refused(f"mchid {data.get('mchid')!r} is not ours")
        if not is_refund and data.get("appid") != self.config.appid:
            return notice.refused(f"appid {data.get('appid')!r} is not ours")
        if notice.amount is None:
            return notice.refused("amount.total is missing or not a number of fen")
        if amount.get("currency", "CNY") != "CNY":
            return notice.refused(f"currency {amount.get('currency')!r} is not CNY")
        if status is TradeStatus.UNKNOWN:
            return notice.refused(f"trade_state {data.get('trade_state')!r} is not known")
        return notice

    def notice_reply(self, ok: bool) -> NoticeReply:
        # WeChat Pay wants 200/204 on success; anything else and it sends the notice again.
        if ok:
            return NoticeReply(status=204)
        body = json.dumps({"code": "FAIL", "message": "notice refused"})
        return NoticeReply(status=400, body=body, content_type="application/json")

    # -- active calls ---------------------------------------------------------------------
    def query_trade(
        self, out_trade_no: str, *, expect: ExpectedAmount | None = None, **_
    ) -> VerifiedNotice:
        path = f"/v3/pay/transactions/out-trade-no/{quote(out_trade_no, safe='')}"
        query = urlencode({"mchid": self.config.mchid})
        status, answer, raw = self._call("GET", f"{path}?{query}")
        if status == 404 and answer.get("code") == "ORDER_NOT_EXIST":
            return not_found(NAME, out_trade_no, raw=raw, data=answer)
        if status != 200:
            raise GatewayError(f"WeChat Pay refused the query: {_reason(answer)}")
        notice = self._read(answer, raw=raw, via="query")
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
    ) -> RefundResult:
        """Ask for a refund; WeChat Pay answers PROCESSING or SUCCESS, and later a notice.

        Retrying with the same refund_no is safe: WeChat Pay refunds it once.
        """
        amount = check_refund_amount(amount=amount, total=total)
        request = {
            "out_trade_no": out_trade_no,
            "out_refund_no": refund_no,
            "reason": reason[:80],
            "amount": {"refund": to_fen(amount), "total": to_fen(total), "currency": "CNY"},
        }
        if self.config.notify_url:
            request["notify_url"] = self.config.notify_url
        status, answer, raw = self._call("POST", "/v3/refund/domestic/refunds", request)
        if status != 200:
            return RefundResult(
                NAME, refund_no, RefundStatus.FAILED, amount, problem=_reason(answer), raw=raw
            )
        result = REFUND_STATUSES.get(answer.get("status"), RefundStatus.PROCESSING)
        if answer.get("out_refund_no") != refund_no:
            raise GatewayError("WeChat Pay's refund answer is about another refund")
        return RefundResult(
            NAME,
            refund_no,
            result,
            amount,
            trade_no=str(answer.get("transaction_id", "")),
            refund_id=str(answer.get("refund_id", "")),
            raw=raw,
        )

    def _call(self, method: str, path: str, payload: dict | None = None) -> tuple[int, dict, str]:
        """(HTTP status, the answer, its text), once WeChat Pay's signature holds."""
        body = json.dumps(payload, ensure_ascii=False) if payload is not None else ""
        response = remote.send(
            method,
            self.config.base_url + path,
            body=body.encode(),
            headers={
                "Authorization": self.authorization(method, path, body),
                "Accept": "application/json",
                "Content-Type": "application/json",
                "User-Agent": "mercato-payments",
            },
        )
        problem = self.signature_problem(response.headers, response.text)
        if problem:
            raise GatewayError(f"WeChat Pay's answer cannot be trusted: {problem}")
        if not response.body:
            return response.status, {}, ""
        try:
            answer = json.loads(response.text)
        except ValueError as error:
            raise GatewayError("WeChat Pay's answer is not JSON") from error
        if not isinstance(answer, dict):
            raise GatewayError("WeChat Pay's answer is not an object")
        return response.status, answer, response.text


def _reason(answer: Mapping) -> str:
    return f"{answer.get('code', '')} {answer.get('message', '')}".strip() or "no reason given"
