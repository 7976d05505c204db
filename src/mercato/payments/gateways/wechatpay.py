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
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from cryptography import x509
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
BEIJING = ZoneInfo("Asia/Shanghai")
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
    "ABNORMAL": RefundStatus.ABNORMAL,  # e.g. the buyer's card was cancelled: finance acts
}
# Answers that mean "try again later with the same request": the outcome is unknown.
RETRY_STATUSES = (429, 500, 502, 503, 504)
RETRY_CODES = ("SYSTEM_ERROR", "FREQUENCY_LIMITED", "BANK_ERROR")


@dataclass(frozen=True)
class WechatPayConfig:
    mchid: str
    appid: str
    serial_no: str  # the serial of the merchant's API certificate
    private_key: rsa.RSAPrivateKey
    apiv3_key: str  # 32 characters
    # serial (or public key id) -> key: the configured ones and the downloaded platform
    # certificates. Several at once: during a rotation WeChat Pay signs with old and new.
    platform_keys: dict[str, rsa.RSAPublicKey]
    base_url: str = PRODUCTION_URL
    notify_url: str = ""
    refund_notify_url: str = ""
    clock: Callable[[], float] = field(default=time.time, compare=False)
    # Called with a serial we do not hold; returns the keys known after looking again
    # (payments.certificates downloads /v3/certificates, at most once a minute).
    key_loader: Callable[[str], Mapping[str, rsa.RSAPublicKey]] | None = field(
        default=None, compare=False
    )

    @classmethod
    def from_settings(cls) -> WechatPayConfig:
        return cls(
            mchid=conf.required("WECHATPAY_MCHID"),
            appid=conf.required("WECHATPAY_APPID"),
            serial_no=conf.required("WECHATPAY_SERIAL_NO"),
            private_key=keys.load_private_key(conf.pem("WECHATPAY_PRIVATE_KEY")),
            apiv3_key=conf.required("WECHATPAY_APIV3_KEY"),
            platform_keys=configured_platform_keys(),
            base_url=conf.setting("WECHATPAY_BASE_URL", PRODUCTION_URL),
            notify_url=conf.setting("WECHATPAY_NOTIFY_URL"),
            refund_notify_url=conf.setting("WECHATPAY_REFUND_NOTIFY_URL")
            or conf.setting("WECHATPAY_NOTIFY_URL")
            or conf.site_notify_url(NAME),
        )


def configured_platform_keys() -> dict[str, rsa.RSAPublicKey]:
    """The platform keys an operator set: WECHATPAY_PLATFORM_SERIAL + WECHATPAY_PLATFORM_KEY
    (a platform certificate, or the WeChat Pay public key with its PUB_KEY_ID_...), and
    every `<serial or key id>.pem` in WECHATPAY_PLATFORM_KEYS_DIR (for a rotation: put
    the new key beside the old one). Optional: certificates can be downloaded instead."""
    found = {}
    serial = conf.setting("WECHATPAY_PLATFORM_SERIAL")
    if serial:
        found[serial] = keys.load_public_key(conf.pem("WECHATPAY_PLATFORM_KEY"))
    directory = conf.setting("WECHATPAY_PLATFORM_KEYS_DIR")
    if directory:
        for path in sorted(Path(directory).glob("*.pem")):
            found[path.stem] = keys.load_public_key(path.read_text())
    return found


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
        if request.expires_at:  # RFC 3339 in Beijing time, e.g. 2026-11-27T12:30:00+08:00
            order["time_expire"] = request.expires_at.astimezone(BEIJING).isoformat(
                timespec="seconds"
            )
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
        key = self.platform_key(serial)
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

    def platform_key(self, serial: str) -> rsa.RSAPublicKey | None:
        """The platform key of `serial`; an unknown serial (a rotation we have not seen)
        asks the key loader once, so the new certificate is fetched instead of every notice
        signed with it being refused as forged."""
        key = self.config.platform_keys.get(serial)
        if key is None and serial and self.config.key_loader is not None:
            self.config.platform_keys.update(self.config.key_loader(serial))
            key = self.config.platform_keys.get(serial)
        return key

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
            status = {
                RefundStatus.SUCCESS: TradeStatus.REFUNDED,
                RefundStatus.ABNORMAL: TradeStatus.REFUND_ABNORMAL,
            }.get(refund_status, TradeStatus.REFUND_FAILED)
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
        **_,
    ) -> RefundResult:
        """Ask for a refund; WeChat Pay answers PROCESSING or SUCCESS, and later a notice.
        A 5xx SYSTEM_ERROR (or 429) is UNKNOWN: retried with the same out_refund_no, which
        WeChat Pay refunds once, and queried."""
        amount = check_refund_amount(amount=amount, total=total)
        request = {
            "out_trade_no": out_trade_no,
            "out_refund_no": refund_no,
            "reason": reason[:80],
            "amount": {"refund": to_fen(amount), "total": to_fen(total), "currency": "CNY"},
        }
        if self.config.refund_notify_url:
            request["notify_url"] = self.config.refund_notify_url
        status, answer, raw = self._call("POST", "/v3/refund/domestic/refunds", request)
        if status != 200:
            unknown = status in RETRY_STATUSES or answer.get("code") in RETRY_CODES
            result = RefundStatus.UNKNOWN if unknown else RefundStatus.FAILED
            return RefundResult(NAME, refund_no, result, amount, problem=_reason(answer), raw=raw)
        return self._refund_answer(answer, raw, refund_no, amount)

    def query_refund(self, *, refund_no: str, amount: Decimal, **_) -> RefundResult:
        """GET /v3/refund/domestic/refunds/{out_refund_no}: SUCCESS, PROCESSING, CLOSED
        (failed), ABNORMAL; 404 RESOURCE_NOT_EXISTS when WeChat Pay never took it."""
        amount = to_decimal(amount)
        path = f"/v3/refund/domestic/refunds/{quote(refund_no, safe='')}"
        status, answer, raw = self._call("GET", path)
        if status == 404 and answer.get("code") in ("RESOURCE_NOT_EXISTS", "ORDER_NOT_EXIST"):
            return RefundResult(NAME, refund_no, RefundStatus.NOT_FOUND, amount, raw=raw)
        if status != 200:
            raise GatewayError(f"WeChat Pay refused the refund query: {_reason(answer)}")
        return self._refund_answer(answer, raw, refund_no, amount)

    def _refund_answer(self, answer: dict, raw: str, refund_no: str, amount: Decimal):
        if answer.get("out_refund_no") != refund_no:
            raise GatewayError("WeChat Pay's refund answer is about another refund")
        amounts = answer.get("amount") if isinstance(answer.get("amount"), dict) else {}
        refunded = amounts.get("refund")
        if refunded is not None and parse_fen(refunded) != to_decimal(amount):
            raise GatewayError(f"WeChat Pay's refund {refund_no} is {refunded} fen, not {amount}")
        result = REFUND_STATUSES.get(answer.get("status"), RefundStatus.PROCESSING)
        problem = ""
        if result is RefundStatus.ABNORMAL:
            problem = f"ABNORMAL ({answer.get('user_received_account', '')})"
        return RefundResult(
            NAME,
            refund_no,
            result,
            to_decimal(amount),
            trade_no=str(answer.get("transaction_id", "")),
            refund_id=str(answer.get("refund_id", "")),
            problem=problem,
            raw=raw,
        )

    def close_trade(self, out_trade_no: str, **_) -> TradeStatus:
        """POST .../out-trade-no/{out_trade_no}/close: 204 once closed. An order WeChat Pay
        never saw is NOT_FOUND; one it refuses to close (paid meanwhile) is UNKNOWN."""
        path = f"/v3/pay/transactions/out-trade-no/{quote(out_trade_no, safe='')}/close"
        status, answer, _raw = self._call("POST", path, {"mchid": self.config.mchid})
        if status in (200, 204):
            return TradeStatus.CLOSED
        if status == 404 or answer.get("code") in ("ORDER_NOT_EXIST", "ORDERNOTEXIST"):
            return TradeStatus.NOT_FOUND
        if status in RETRY_STATUSES or answer.get("code") in RETRY_CODES:
            raise GatewayError(f"WeChat Pay did not close the order: {_reason(answer)}")
        return TradeStatus.UNKNOWN  # e.g. ORDERPAID: the query says what it is

    def download_certificates(self) -> list[PlatformCertificate]:
        """GET /v3/certificates: the platform certificates now in use (several during a
        rotation), each decrypted with the APIv3 key. The answer's own signature is checked
        with the keys we hold plus the ones just decrypted: only WeChat Pay and we know the
        APIv3 key, so a certificate that decrypts is WeChat Pay's."""
        path = "/v3/certificates"
        response = self._send("GET", path, "")
        try:
            data = json.loads(response.text)["data"]
            found = [self._read_certificate(item) for item in data]
        except (ValueError, KeyError, TypeError, binascii.Error, InvalidTag) as error:
            raise GatewayError(f"WeChat Pay's certificate list cannot be read: {error}") from error
        keys_now = {**self.config.platform_keys, **{c.serial_no: c.public_key for c in found}}
        serial = header(response.headers, "Wechatpay-Serial")
        known = WechatPayGateway(replace(self.config, platform_keys=keys_now, key_loader=None))
        problem = known.signature_problem(response.headers, response.text)
        if problem:
            raise GatewayError(f"WeChat Pay's certificate list cannot be trusted: {problem}")
        if serial not in keys_now:
            raise GatewayError("the certificate list is signed with a key it does not hold")
        return found

    def _read_certificate(self, item: dict) -> PlatformCertificate:
        encrypted = item["encrypt_certificate"]
        pem_text = self.decrypt(
            encrypted["nonce"], encrypted["ciphertext"], encrypted.get("associated_data", "")
        )
        certificate = x509.load_pem_x509_certificate(pem_text.encode())
        return PlatformCertificate(
            serial_no=str(item["serial_no"]),
            pem=pem_text,
            public_key=certificate.public_key(),
            effective_time=str(item.get("effective_time", "")),
            expire_time=str(item.get("expire_time", "")),
        )

    def _send(self, method: str, path: str, body: str) -> remote.Response:
        return remote.send(
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

    def _call(self, method: str, path: str, payload: dict | None = None) -> tuple[int, dict, str]:
        """(HTTP status, the answer, its text), once WeChat Pay's signature holds."""
        body = json.dumps(payload, ensure_ascii=False) if payload is not None else ""
        response = self._send(method, path, body)
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


@dataclass(frozen=True)
class PlatformCertificate:
    """One WeChat Pay platform certificate from /v3/certificates, decrypted."""

    serial_no: str
    pem: str
    public_key: rsa.RSAPublicKey
    effective_time: str = ""
    expire_time: str = ""


def _reason(answer: Mapping) -> str:
    return f"{answer.get('code', '')} {answer.get('message', '')}".strip() or "no reason given"
