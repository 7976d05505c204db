"""The one interface every payment gateway speaks, as plain dataclasses.

A gateway turns a `PaymentRequest` into a `PaymentAction` (what the customer is sent to),
turns an incoming notice into a `VerifiedNotice`, asks the remote side about a trade
(`query_trade`) and sends refunds (`refund`). Nothing here touches the database: the
payment and refund models (built with orders) store what these functions return.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Protocol
from urllib.parse import parse_qsl

from mercato.core.errors import DomainError

FEN = Decimal("0.01")


class TradeStatus(enum.StrEnum):
    PENDING = "pending"  # created, the buyer has not paid yet
    PAID = "paid"
    REFUNDED = "refunded"  # a refund (full or partial) went through
    REFUND_FAILED = "refund_failed"
    REFUND_ABNORMAL = "refund_abnormal"  # WeChat Pay: the bank could not pay the buyer back
    CLOSED = "closed"  # closed unpaid, or nothing left after refunds
    FAILED = "failed"
    NOT_FOUND = "not_found"  # the gateway has no such trade (yet)
    UNKNOWN = "unknown"


# A notice with one of these is about a refund (refund_no names it), never a payment.
REFUND_NOTICE_STATUSES = frozenset(
    {TradeStatus.REFUNDED, TradeStatus.REFUND_FAILED, TradeStatus.REFUND_ABNORMAL}
)


class RefundStatus(enum.StrEnum):
    SUCCESS = "success"
    PROCESSING = "processing"  # accepted; the result comes later by notice or query
    FAILED = "failed"  # refused for good: nothing was paid back
    MANUAL = "manual"  # no remote side (cash on delivery): finance pays it back
    # The gateway said "system error, retry" (Alipay ACQ.SYSTEM_ERROR / 20000, WeChat Pay
    # 5xx SYSTEM_ERROR), or no trustworthy answer came (timeout): the money may have moved.
    # Retry with the SAME refund number and query it; never free the amount.
    UNKNOWN = "unknown"
    ABNORMAL = "abnormal"  # WeChat Pay: the money could not reach the buyer; finance acts
    NOT_FOUND = "not_found"  # a refund query: the gateway has no refund of that number


class GatewayError(DomainError):
    """The gateway could not be reached, or answered something we cannot trust."""

    code = "gateway_error"
    status = 502


class GatewayNotConfigured(DomainError):
    code = "gateway_not_configured"
    status = 503


@dataclass(frozen=True)
class PaymentRequest:
    out_trade_no: str  # our payment number, unique per attempt
    amount: Decimal  # from the order, never from the client
    subject: str
    client_ip: str = ""
    return_url: str = ""  # where the browser comes back; it never marks anything paid
    notify_url: str = ""  # where the gateway posts the asynchronous notice
    channel: str = ""  # "page"/"wap" (Alipay), "native"/"h5" (WeChat), "pc"/"mobile"
    expires_at: datetime | None = None
    created_at: datetime | None = None  # UnionPay's txnTime; now when empty


@dataclass(frozen=True)
class PaymentAction:
    """What to do with the customer's browser to pay."""

    kind: str  # "redirect", "form" (auto-submitted POST), "qr", or "none"
    amount: Decimal
    url: str = ""
    fields: dict[str, str] = field(default_factory=dict)  # the form's hidden inputs
    qr_payload: str = ""  # WeChat Native code_url: render with payments.gateways.qr
    message: str = ""


@dataclass(frozen=True)
class VerifiedNotice:
    """A notice or a query answer, and whether it can be trusted.

    Only `verified=True` may change a payment. `signature_valid` alone says the message
    came from the gateway; `verified` also needs merchant, trade and amount to match.
    """

    gateway: str
    verified: bool
    problem: str = ""
    signature_valid: bool = False
    status: TradeStatus = TradeStatus.UNKNOWN
    out_trade_no: str = ""
    trade_no: str = ""  # the gateway's own number
    amount: Decimal | None = None  # the trade's total
    refund_no: str = ""
    refund_amount: Decimal | None = None  # what this refund paid back
    # Alipay's refund_fee: the total refunded on the trade so far, this refund included
    refund_total: Decimal | None = None
    notice_id: str = ""  # the gateway's id of this message, when it has one
    paid_at: str = ""  # as the gateway wrote it
    via: str = "notify"  # "notify", "return" (through the browser) or "query"
    raw: str = ""  # the body as received, to store
    data: dict = field(default_factory=dict)  # the parsed (decrypted) fields

    def refused(self, problem: str) -> VerifiedNotice:
        return replace(self, verified=False, problem=problem)


@dataclass(frozen=True)
class RefundResult:
    gateway: str
    refund_no: str
    status: RefundStatus
    amount: Decimal
    trade_no: str = ""
    refund_id: str = ""  # the gateway's refund number
    problem: str = ""
    raw: str = ""


@dataclass(frozen=True)
class NoticeReply:
    """The exact HTTP answer the gateway expects to a notice."""

    status: int
    body: str = ""
    content_type: str = "text/plain; charset=utf-8"


# Looks up the amount we expect for one of our trade numbers; None when we know no such
# trade. The payment model passes its own lookup; the protocol layer only compares.
ExpectedAmount = Callable[[str], Decimal | None]


def unverified(gateway: str, problem: str, *, raw: str = "", **fields) -> VerifiedNotice:
    return VerifiedNotice(gateway=gateway, verified=False, problem=problem, raw=raw, **fields)


def check_trade(notice: VerifiedNotice, expect: ExpectedAmount | None) -> VerifiedNotice:
    """Refuse a notice for a trade we do not know, or with another total than ours."""
    if expect is None or not notice.verified:
        return notice
    if not notice.out_trade_no:
        return notice.refused("the notice names no out_trade_no")
    expected = expect(notice.out_trade_no)
    if expected is None:
        return notice.refused(f"unknown out_trade_no {notice.out_trade_no!r}")
    if notice.amount != to_decimal(expected):
        return notice.refused(f"amount {notice.amount} differs from the expected {expected}")
    return notice


def check_answer(
    notice: VerifiedNotice, out_trade_no: str, expect: ExpectedAmount | None
) -> VerifiedNotice:
    """A query answer must be about the trade we asked for, then match like a notice."""
    if notice.out_trade_no != out_trade_no:
        return notice.refused("the answer is about another trade")
    return check_trade(notice, expect)


def to_decimal(value) -> Decimal:
    """A money amount to the fen; refuses floats, which cannot hold fen exactly."""
    if isinstance(value, float):
        raise TypeError("money must be a Decimal or a string, never a float")
    amount = Decimal(value)
    if amount != amount.quantize(FEN, rounding=ROUND_HALF_UP):
        raise ValueError(f"{value} has more places than fen")
    return amount.quantize(FEN)


def to_fen(amount: Decimal) -> int:
    return int(to_decimal(amount) * 100)


def from_fen(fen: int | str) -> Decimal:
    return (Decimal(int(fen)) / 100).quantize(FEN)


def parse_yuan(text: str) -> Decimal | None:
    """A gateway's "12.30" as a Decimal; None when it is not an amount."""
    try:
        amount = Decimal(text)
    except (InvalidOperation, TypeError):
        return None
    if not amount.is_finite() or amount < 0 or amount != amount.quantize(FEN):
        return None
    return amount.quantize(FEN)


def parse_fen(value) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    if isinstance(value, str) and not value.isdigit():
        return None
    fen = int(value)
    return from_fen(fen) if fen >= 0 else None


def header(headers: Mapping[str, str], name: str) -> str:
    """A header by case-insensitive name; Django's request.headers works as it is."""
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return ""


def as_text(body: bytes | str) -> str | None:
    if isinstance(body, str):
        return body
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return None


class Gateway(Protocol):
    """What every gateway module's class offers; see docs/payments.md."""

    name: str

    @classmethod
    def from_settings(cls) -> Gateway: ...

    def create_payment(self, request: PaymentRequest) -> PaymentAction: ...

    def parse_notice(
        self, headers: Mapping[str, str], body: bytes | str, *, expect: ExpectedAmount | None = None
    ) -> VerifiedNotice: ...

    def notice_reply(self, ok: bool) -> NoticeReply: ...

    def query_trade(self, out_trade_no: str, **kwargs) -> VerifiedNotice: ...

    def close_trade(self, out_trade_no: str, *, created_at: datetime | None = None) -> TradeStatus:
        """Close an unpaid trade so it can no longer be paid: CLOSED (closed, or nothing
        payable was left), NOT_FOUND (the gateway never saw it), UNKNOWN (refused for its
        status, e.g. paid meanwhile: query it). GatewayError when no answer came."""
        ...

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
        """Send a refund. `refund_no` is the idempotency key: sending the same number
        again never pays twice. `requested_at` is the refund's own time (UnionPay's txnTime,
        which a query needs again); `trade_created_at` the payment's. UNKNOWN when the
        outcome is not known (retry with the same number); GatewayError is treated so too."""
        ...

    def query_refund(
        self,
        *,
        out_trade_no: str,
        refund_no: str,
        amount: Decimal,
        trade_no: str = "",
        requested_at: datetime | None = None,
    ) -> RefundResult:
        """Ask about a refund sent before: SUCCESS, PROCESSING, FAILED, ABNORMAL, or
        NOT_FOUND (never received, or refused: send it again with the same number)."""
        ...


class BadNotice(Exception):
    """A notice body that cannot even be read; parse_notice turns it into verified=False."""

    def __init__(self, problem: str, raw: str = ""):
        super().__init__(problem)
        self.problem, self.raw = problem, raw


def read_form(body: bytes | str, *, max_fields: int = 200) -> tuple[str, dict[str, str]]:
    """A form-encoded notice as (text, fields), read strictly: a field given twice is
    refused, since two readers could take different values of it."""
    raw = as_text(body)
    if raw is None:
        raise BadNotice("the body is not UTF-8 text")
    try:
        pairs = parse_qsl(
            raw, keep_blank_values=True, strict_parsing=True, max_num_fields=max_fields
        )
    except ValueError as error:
        raise BadNotice("the body is not a form", raw) from error
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise BadNotice("a parameter appears twice", raw)
    return raw, fields


def not_found(gateway: str, out_trade_no: str, *, raw: str = "", data: dict) -> VerifiedNotice:
    """A signed answer saying the gateway has no such trade (yet)."""
    return VerifiedNotice(
        gateway=gateway,
        verified=True,
        signature_valid=True,
        status=TradeStatus.NOT_FOUND,
        out_trade_no=out_trade_no,
        via="query",
        raw=raw,
        data=data,
    )
