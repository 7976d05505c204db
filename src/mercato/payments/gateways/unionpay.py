"""银联 UnionPay online payment, gateway version 5.1.0, signMethod 01 (RSA-SHA256 + certs).

Signing: every field except `signature`, sorted by name, joined as `k=v&k=v`; its
SHA-256 in lower-case hex is signed with SHA256withRSA by the merchant certificate's key;
`certId` is that certificate's serial number in decimal. UnionPay's messages carry their
signing certificate in `signPubKeyCert`: we accept it only when it chains to the middle
and root certificates we configured, is valid now, and its CN names UnionPay, and then
check the message's signature with it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from mercato.core.errors import DomainError

from . import conf, keys, remote
from .base import (
    REFUND_NOTICE_STATUSES,
    BadNotice,
    ExpectedAmount,
    GatewayError,
    GatewayNotConfigured,
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
    parse_fen,
    read_form,
    to_decimal,
    to_fen,
    unverified,
)
from .refunds import check_refund_amount

NAME = "unionpay"
PRODUCTION_URL = "https://gateway.95516.com"
UNIONPAY_CN = "中国银联股份有限公司"
BEIJING = ZoneInfo("Asia/Shanghai")
CHANNELS = {"pc": "07", "mobile": "08"}
PAID_CODES = ("00", "A6")  # A6: paid, with a partial-success remark
PROCESSING_CODES = ("03", "04", "05")
REFUND_TYPES = ("04", "31")  # 04 refund (退货), 31 consume cancellation (消费撤销)
NOT_FOUND_CODE = "34"
# A consumption can be cancelled (instead of refunded) on its own day, before the cut-off.
CANCELLATION_CUTOFF_HOUR = 23
MAX_FIELDS = 200


@dataclass(frozen=True)
class UnionPayConfig:
    mer_id: str
    sign_key: rsa.RSAPrivateKey
    cert_id: str  # the merchant signing certificate's serial, in decimal
    root_cert: x509.Certificate
    middle_cert: x509.Certificate
    gateway_url: str = PRODUCTION_URL
    back_url: str = ""  # back-end notices
    front_url: str = ""  # the browser comes back here (front-end notice)
    refund_back_url: str = ""  # where refund notices go; UnionPay requires one
    unionpay_cn: str = UNIONPAY_CN
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(tz=UTC), compare=False)

    @classmethod
    def from_settings(cls) -> UnionPayConfig:
        pfx_path = conf.setting("UNIONPAY_SIGN_CERT_PFX_FILE")
        if pfx_path:  # UnionPay issues the merchant's certificate as a .pfx
            password = conf.setting("UNIONPAY_SIGN_CERT_PASSWORD").encode() or None
            with open(pfx_path, "rb") as pfx:
                key, cert, _ = pkcs12.load_key_and_certificates(pfx.read(), password)
        else:
            key = keys.load_private_key(conf.pem("UNIONPAY_SIGN_KEY"))
            cert = x509.load_pem_x509_certificate(conf.pem("UNIONPAY_SIGN_CERT").encode())
        return cls(
            mer_id=conf.required("UNIONPAY_MER_ID"),
            sign_key=key,
            cert_id=str(cert.serial_number),
            root_cert=x509.load_pem_x509_certificate(conf.pem("UNIONPAY_ROOT_CERT").encode()),
            middle_cert=x509.load_pem_x509_certificate(conf.pem("UNIONPAY_MIDDLE_CERT").encode()),
            gateway_url=conf.setting("UNIONPAY_GATEWAY_URL", PRODUCTION_URL),
            back_url=conf.setting("UNIONPAY_BACK_URL"),
            front_url=conf.setting("UNIONPAY_FRONT_URL"),
            refund_back_url=conf.setting("UNIONPAY_REFUND_BACK_URL")
            or conf.setting("UNIONPAY_BACK_URL")
            or conf.site_notify_url(NAME),
            unionpay_cn=conf.setting("UNIONPAY_SIGN_CERT_CN", UNIONPAY_CN),
        )


def sign_content(params: Mapping[str, str]) -> bytes:
    """What is signed: the SHA-256 hex of the sorted `k=v` pairs without `signature`."""
    content = "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k != "signature")
    return hashlib.sha256(content.encode()).hexdigest().encode()


def txn_time(moment: datetime | None = None) -> str:
    return (moment or datetime.now(tz=BEIJING)).astimezone(BEIJING).strftime("%Y%m%d%H%M%S")


def parse_response(text: str) -> dict[str, str]:
    """UnionPay's synchronous answers: `k=v&k=v`, not URL-encoded; values may hold `{...}`."""
    fields, depth, start = {}, 0, 0
    for index, char in enumerate(text + "&"):
        if char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
        elif char == "&" and depth == 0:
            key, sep, value = text[start:index].partition("=")
            if sep:
                fields[key] = value
            start = index + 1
    return fields


class UnionPayGateway:
    name = NAME

    def __init__(self, config: UnionPayConfig):
        self.config = config

    @classmethod
    def from_settings(cls) -> UnionPayGateway:
        return cls(UnionPayConfig.from_settings())

    def signed(self, params: dict[str, str]) -> dict[str, str]:
        params = {
            "version": "5.1.0",
            "encoding": "UTF-8",
            "signMethod": "01",
            "merId": self.config.mer_id,
            "certId": self.config.cert_id,
            **params,
        }
        params = {k: v for k, v in params.items() if v != ""}  # UnionPay drops blanks too
        params["signature"] = keys.sign_sha256(self.config.sign_key, sign_content(params))
        return params

    # -- paying ---------------------------------------------------------------------------
    def create_payment(self, request: PaymentRequest) -> PaymentAction:
        """The signed form the browser posts to UnionPay's front-end gateway."""
        channel = request.channel or "pc"
        if channel not in CHANNELS:
            raise ValueError(f"unknown UnionPay channel {channel!r}")
        amount = to_decimal(request.amount)
        params = {
            "txnType": "01",
            "txnSubType": "01",
            "bizType": "000201",
            "accessType": "0",
            "channelType": CHANNELS[channel],
            "currencyCode": "156",
            "orderId": request.out_trade_no,
            "txnTime": txn_time(request.created_at),
            "txnAmt": str(to_fen(amount)),
            "backUrl": request.notify_url or self.config.back_url,
            "frontUrl": request.return_url or self.config.front_url,
        }
        if request.expires_at:
            params["payTimeout"] = txn_time(request.expires_at)
        return PaymentAction(
            kind="form",
            amount=amount,
            url=f"{self.config.gateway_url}/gateway/api/frontTransReq.do",
            fields=self.signed(params),
        )

    # -- notices --------------------------------------------------------------------------
    def parse_notice(
        self,
        headers: Mapping[str, str],
        body: bytes | str,
        *,
        expect: ExpectedAmount | None = None,
        via: str = "notify",
    ) -> VerifiedNotice:
        """Verify a back-end notice (or, with via="return", the front-end one)."""
        try:
            raw, params = read_form(body, max_fields=MAX_FIELDS)
        except BadNotice as bad:
            return unverified(NAME, bad.problem, raw=bad.raw)
        problem = self.signature_problem(params)
        if problem:
            return unverified(NAME, problem, raw=raw)
        notice = self._read(params, raw=raw, via=via)
        if notice.status in REFUND_NOTICE_STATUSES:
            return notice  # names the refund, not the trade: the refund model matches it
        return check_trade(notice, expect)

    def parse_front_notice(
        self, headers: Mapping[str, str], body: bytes | str, *, expect: ExpectedAmount | None = None
    ) -> VerifiedNotice:
        """The form the browser brings back. Signed, but the return page must not mark
        anything paid from it: query the trade, or wait for the back-end notice."""
        return self.parse_notice(headers, body, expect=expect, via="return")

    def signature_problem(self, params: Mapping[str, str]) -> str:
        """Why a message is not UnionPay's; "" when its certificate and signature hold."""
        if params.get("signMethod") != "01" or params.get("version") != "5.1.0":
            return "not a version 5.1.0 message signed with method 01"
        if not params.get("signature"):
            return "the message has no signature"
        cert, problem = self.check_certificate(params.get("signPubKeyCert", ""))
        if problem:
            return problem
        if not keys.verify_sha256(cert.public_key(), sign_content(params), params["signature"]):
            return "the signature does not verify"
        return ""

    def check_certificate(self, pem_text: str) -> tuple[x509.Certificate | None, str]:
        if not pem_text:
            return None, "the message carries no signPubKeyCert"
        try:
            cert = x509.load_pem_x509_certificate(pem_text.encode())
        except ValueError:
            return None, "signPubKeyCert is not a certificate"
        now = self.config.clock()
        for each in (cert, self.config.middle_cert):
            if not each.not_valid_before_utc <= now <= each.not_valid_after_utc:
                return None, "the signing certificate is not valid now"
        try:
            cert.verify_directly_issued_by(self.config.middle_cert)
            self.config.middle_cert.verify_directly_issued_by(self.config.root_cert)
        except (ValueError, TypeError, InvalidSignature):
            return None, "the signing certificate does not chain to the UnionPay root"
        names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        parts = str(names[0].value).split("@") if names else []
        # UnionPay's CN reads like "041@Z12@中国银联股份有限公司@00000001": the third part
        if len(parts) < 3 or parts[2] != self.config.unionpay_cn:
            return None, "the signing certificate is not UnionPay's"
        return cert, ""

    def _read(self, params: Mapping[str, str], *, raw: str, via: str) -> VerifiedNotice:
        txn_type, code = params.get("txnType"), params.get("respCode")
        if via == "query":
            code = params.get("origRespCode")
        if txn_type == "01":
            status = (
                TradeStatus.PAID
                if code in PAID_CODES
                else TradeStatus.PENDING
                if code in PROCESSING_CODES
                else TradeStatus.FAILED
            )
        elif txn_type in REFUND_TYPES:
            status = TradeStatus.REFUNDED if code == "00" else TradeStatus.REFUND_FAILED
        else:
            status = TradeStatus.UNKNOWN
        is_refund = txn_type in REFUND_TYPES
        amount = parse_fen(params.get("txnAmt", ""))
        notice = VerifiedNotice(
            gateway=NAME,
            verified=True,
            signature_valid=True,
            status=status,
            out_trade_no="" if is_refund else params.get("orderId", ""),
            trade_no=params.get("origQryId", "") if is_refund else params.get("queryId", ""),
            amount=None if is_refund else amount,
            refund_no=params.get("orderId", "") if is_refund else "",
            refund_amount=amount if is_refund else None,
            notice_id=params.get("queryId", ""),
            paid_at=params.get("txnTime", ""),
            via=via,
            raw=raw,
            data=dict(params),
        )
        if params.get("merId") != self.config.mer_id:
            return notice.refused(f"merId {params.get('merId')!r} is not ours")
        if amount is None:
            return notice.refused("txnAmt is missing or not a number of fen")
        if params.get("currencyCode", "156") != "156":
            return notice.refused(f"currencyCode {params.get('currencyCode')!r} is not CNY")
        if status is TradeStatus.UNKNOWN:
            return notice.refused(f"txnType {txn_type!r} is not a payment or a refund")
        return notice

    def notice_reply(self, ok: bool) -> NoticeReply:
        # UnionPay only looks at the status: 200 stops its retries, anything else repeats.
        return NoticeReply(status=200, body="ok") if ok else NoticeReply(400, "failure")

    # -- active calls ---------------------------------------------------------------------
    def query_trade(
        self,
        out_trade_no: str,
        *,
        created_at: datetime,
        expect: ExpectedAmount | None = None,
        **_,
    ) -> VerifiedNotice:
        """queryTrans: UnionPay finds a trade by orderId and its original txnTime."""
        params = {
            "txnType": "00",
            "txnSubType": "00",
            "bizType": "000000",
            "accessType": "0",
            "channelType": "07",
            "orderId": out_trade_no,
            "txnTime": txn_time(created_at),
        }
        answer, raw = self._call("/gateway/api/queryTrans.do", params)
        if answer.get("respCode") == NOT_FOUND_CODE:  # no such trade
            return not_found(NAME, out_trade_no, raw=raw, data=answer)
        if answer.get("respCode") != "00":
            raise GatewayError(f"UnionPay refused the query: {_reason(answer)}")
        notice = self._read({**answer, "txnType": "01"}, raw=raw, via="query")
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
        requested_at: datetime | None = None,
        trade_created_at: datetime | None = None,
    ) -> RefundResult:
        """backTransReq against the payment's queryId (trade_no): a consume cancellation
        (txnType 31) for the whole amount on the payment's own day, a refund (04) otherwise.
        An accepted request is PROCESSING; the result comes as a back-end notice, or a
        query by orderId (our refund number) and txnTime (`requested_at`)."""
        amount = check_refund_amount(amount=amount, total=total)
        if not trade_no:
            raise DomainError("a UnionPay refund needs the payment's queryId", field="trade_no")
        back_url = self.config.refund_back_url or self.config.back_url
        if not back_url:
            raise GatewayNotConfigured(
                "UNIONPAY_REFUND_BACK_URL is not set (UnionPay requires a backUrl)",
                field="UNIONPAY_REFUND_BACK_URL",
            )
        cancel = self.may_cancel(amount=amount, total=total, trade_created_at=trade_created_at)
        params = {
            "txnType": "31" if cancel else "04",
            "txnSubType": "00",
            "bizType": "000201",
            "accessType": "0",
            "channelType": "07",
            "orderId": refund_no,
            "origQryId": trade_no,
            "txnTime": txn_time(requested_at),
            "txnAmt": str(to_fen(amount)),
            "backUrl": back_url,
        }
        answer, raw = self._call("/gateway/api/backTransReq.do", params)
        code = answer.get("respCode")
        if code in ("00", *PROCESSING_CODES):
            if answer.get("orderId") != refund_no:
                raise GatewayError("UnionPay's refund answer is about another refund")
            return RefundResult(
                NAME,
                refund_no,
                RefundStatus.PROCESSING,
                amount,
                trade_no=trade_no,
                refund_id=answer.get("queryId", ""),
                raw=raw,
            )
        return RefundResult(
            NAME, refund_no, RefundStatus.FAILED, amount, problem=_reason(answer), raw=raw
        )

    def may_cancel(self, *, amount: Decimal, total: Decimal, trade_created_at) -> bool:
        """A whole consumption made today (Beijing), before the cut-off, is cancelled."""
        if trade_created_at is None or to_decimal(amount) != to_decimal(total):
            return False
        now = self.config.clock().astimezone(BEIJING)
        made = trade_created_at.astimezone(BEIJING)
        return made.date() == now.date() and now.hour < CANCELLATION_CUTOFF_HOUR

    def query_refund(
        self, *, refund_no: str, amount: Decimal, requested_at: datetime | None = None, **_
    ) -> RefundResult:
        """queryTrans by the refund's orderId and txnTime: origRespCode 00 is refunded,
        03/04/05 still processing, another code failed; respCode 34: never received."""
        amount = to_decimal(amount)
        if requested_at is None:
            raise GatewayError("a UnionPay refund query needs the refund's txnTime")
        params = {
            "txnType": "00",
            "txnSubType": "00",
            "bizType": "000000",
            "accessType": "0",
            "channelType": "07",
            "orderId": refund_no,
            "txnTime": txn_time(requested_at),
        }
        answer, raw = self._call("/gateway/api/queryTrans.do", params)
        if answer.get("respCode") == NOT_FOUND_CODE:
            return RefundResult(NAME, refund_no, RefundStatus.NOT_FOUND, amount, raw=raw)
        if answer.get("respCode") != "00":
            raise GatewayError(f"UnionPay refused the refund query: {_reason(answer)}")
        if answer.get("orderId") != refund_no:
            raise GatewayError("UnionPay's query answer is about another refund")
        original = answer.get("origRespCode")
        if original == "00":
            status = RefundStatus.SUCCESS
        elif original in PROCESSING_CODES:
            status = RefundStatus.PROCESSING
        else:
            status = RefundStatus.FAILED
        problem = "" if status is not RefundStatus.FAILED else _reason(answer)
        return RefundResult(
            NAME,
            refund_no,
            status,
            amount,
            trade_no=answer.get("origQryId", ""),
            refund_id=answer.get("queryId", ""),
            problem=problem,
            raw=raw,
        )

    def close_trade(self, out_trade_no: str, **_) -> TradeStatus:
        """UnionPay has no call that closes an unpaid consumption: payTimeout (= the
        order's deadline) ends it. Nothing is sent: UNKNOWN, so the caller queries the
        trade; a payment that still arrives is refunded (a consume cancellation on its
        own day, txnType 31)."""
        return TradeStatus.UNKNOWN

    def _call(self, path: str, params: dict[str, str]) -> tuple[dict[str, str], str]:
        response = remote.send(
            "POST",
            self.config.gateway_url + path,
            body=urlencode(self.signed(params)).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded;charset=UTF-8"},
        )
        answer = parse_response(response.text)
        if not answer:
            raise GatewayError(f"UnionPay's answer is empty (HTTP {response.status})")
        problem = self.signature_problem(answer)
        if problem:
            raise GatewayError(f"UnionPay's answer cannot be trusted: {problem}")
        if answer.get("merId") != self.config.mer_id:
            raise GatewayError("UnionPay's answer is for another merchant")
        return answer, response.text


def _reason(answer: Mapping) -> str:
    return f"{answer.get('respCode', '')} {answer.get('respMsg', '')}".strip() or "no reason"
