"""The automatic review rules: what each checks, the reason it holds an order for, and its
defaults. The department lead switches rules on and off and sets thresholds (ReviewRule
rows, services.set_rule); a rule without a row runs with the defaults here.

`check_candidates` runs every enabled rule over a batch of candidates (orders, or one
address typed into the check form or command) with a fixed number of queries for the
batch: velocity counts, the blacklist and past refused COD parcels are read once.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.db import DatabaseError, transaction
from django.db.models import Count, F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from mercato.catalog.bulk import any_of
from mercato.orders.models import Order

from ..models import BlacklistEntry, BlacklistKind, ReviewRule, Shipment, ShipmentStatus
from .addresses import check_full_addresses, check_stored_addresses, normalise, split_whole
from .findings import Finding
from .names import check_name, squeeze
from .phones import check_phone, national_mobile

REASONS_ORDER = ("address", "phone", "incomplete", "malicious", "cod-risk")


@dataclass(frozen=True)
class Rule:
    code: str
    reason: str
    label: str
    threshold: Decimal | None = None  # a count, an amount or a quantity
    window_minutes: int | None = None
    help: str = ""


RULES: dict[str, Rule] = {
    rule.code: rule
    for rule in (
        Rule("address_unplaced", "address", _("Address cannot be placed down to the district")),
        Rule("address_detail", "address", _("Address has no street or house detail")),
        Rule("phone_invalid", "phone", _("Phone number is not a valid number")),
        Rule("phone_not_mobile", "phone", _("Phone number is not a mainland mobile")),
        Rule("info_missing", "incomplete", _("Recipient's name (or phone, address) missing")),
        Rule("name_gibberish", "malicious", _("Recipient's name is gibberish or a placeholder")),
        Rule("abusive_words", "malicious", _("Abusive words in the name or address")),
        Rule("blacklist", "malicious", _("Phone, address, IP or name on the blacklist")),
        Rule(
            "orders_per_phone",
            "malicious",
            _("Many orders from one phone"),
            Decimal(5),
            60,
            _("Held when more orders than the threshold come from one phone in the window."),
        ),
        Rule(
            "orders_per_address",
            "malicious",
            _("Many orders to one address"),
            Decimal(5),
            60,
            _("Held when more orders than the threshold go to one address in the window."),
        ),
        Rule(
            "orders_per_ip",
            "malicious",
            _("Many orders from one IP address"),
            Decimal(10),
            60,
            _("Held when more orders than the threshold come from one IP in the window."),
        ),
        Rule(
            "large_quantity",
            "malicious",
            _("Unusually many units of one SKU"),
            Decimal(20),
            None,
            _("Held when one line has more units than the threshold."),
        ),
        Rule(
            "cod_amount",
            "cod-risk",
            _("Cash on delivery above an amount"),
            Decimal("2000.00"),
            None,
            _("Held when a COD order's total is above the threshold (¥)."),
        ),
        Rule(
            "cod_refusals",
            "cod-risk",
            _("Customer refused COD parcels before"),
            Decimal(1),
            None,
            _("Held when the customer (or phone) refused at least this many COD parcels."),
        ),
    )
}

# The rules that need no database (names, phones, addresses).
LOCAL_RULES = ("address_unplaced", "address_detail", "phone_invalid", "phone_not_mobile",
               "info_missing", "name_gibberish", "abusive_words")  # fmt: skip

M_PHONE_RATE = gettext_noop("More orders from this phone in a short time than allowed.")
M_ADDRESS_RATE = gettext_noop("More orders to this address in a short time than allowed.")
M_IP_RATE = gettext_noop("More orders from this IP address in a short time than allowed.")
M_BLACKLIST = gettext_noop("On the blacklist: %(what)s")
M_QUANTITY = gettext_noop("Unusually many units of one SKU.")
M_COD_AMOUNT = gettext_noop("Cash on delivery above the allowed amount.")
M_COD_REFUSED = gettext_noop("This customer refused cash-on-delivery parcels before.")


@dataclass(frozen=True)
class Settings:
    """The effective setting of every rule: enabled, threshold, window."""

    enabled: frozenset[str]
    threshold: dict[str, Decimal]
    window: dict[str, int]


def load_settings() -> Settings:
    rows = {row.code: row for row in ReviewRule.objects.all()}
    enabled, threshold, window = set(), {}, {}
    for code, rule in RULES.items():
        row = rows.get(code)
        if row is None or row.enabled:
            enabled.add(code)
        if rule.threshold is not None:
            value = row.threshold if row and row.threshold is not None else rule.threshold
            threshold[code] = value
        if rule.window_minutes is not None:
            value = row.window_minutes if row and row.window_minutes else rule.window_minutes
            window[code] = value
    return Settings(frozenset(enabled), threshold, window)


@dataclass
class Candidate:
    """What the rules look at. `order_id` None: an address tried without an order (it
    counts as one more order in the velocity rules)."""

    recipient: str
    phone: str
    address: str = ""  # a whole address, when there are no separate region fields
    region: tuple[str, str, str] | None = None  # (province, city, district) of an order
    detail: str = ""
    client_ip: str | None = None
    max_quantity: int = 0
    cod: bool = False
    total: Decimal = Decimal("0.00")
    customer_id: int | None = None
    order_id: int | None = None
    findings: list[Finding] = field(default_factory=list)
    database_missing: bool = False

    @property
    def address_key(self) -> str:
        if self.region:
            return squeeze("".join(self.region) + self.detail)
        return squeeze("".join(split_whole(self.address)))


def _local_findings(candidates: list[Candidate]) -> None:
    """Name, phone and address checks: no database, one cpca call for the batch."""
    whole = [c for c in candidates if c.region is None]
    stored = [c for c in candidates if c.region is not None]
    for c, found in zip(whole, check_full_addresses([c.address for c in whole]), strict=True):
        c.findings.extend(found)
    rows = [(*c.region, c.detail) for c in stored]
    for c, found in zip(stored, check_stored_addresses(rows), strict=True):
        c.findings.extend(found)
    for c in candidates:
        c.findings.extend(check_phone(c.phone))
        c.findings.extend(check_name(c.recipient))


def _rate_findings(candidates: list[Candidate], settings: Settings, now) -> None:
    """Orders per phone, address and IP in each rule's window, counted in the database
    (the candidate itself included: a candidate without an order counts one more)."""
    enabled = settings.enabled
    if "orders_per_phone" in enabled:
        since = now - timedelta(minutes=settings.window["orders_per_phone"])
        mobiles = {national_mobile(c.phone) for c in candidates if c.phone}
        counts = dict(
            Order.objects.filter(any_of("mobile", mobiles), placed_at__gte=since)
            .values_list("mobile")
            .annotate(n=Count("id"))
        )
        limit = settings.threshold["orders_per_phone"]
        for c in candidates:
            n = counts.get(national_mobile(c.phone), 0) + (c.order_id is None)
            if n > limit:
                c.findings.append(Finding("orders_per_phone", "malicious", M_PHONE_RATE, str(n)))
    if "orders_per_address" in enabled:
        since = now - timedelta(minutes=settings.window["orders_per_address"])
        keys = {}
        for c in candidates:
            # An order's stored fields; a whole address split by cpca the same way.
            province, city, district, detail = (
                (*c.region, c.detail) if c.region is not None else split_whole(c.address)
            )
            keys[id(c)] = (squeeze(province + city + district + detail), detail)
        details = {detail for _key, detail in keys.values() if detail}
        counts = Counter()
        if details:
            rows = Order.objects.filter(
                any_of("detail", details), placed_at__gte=since
            ).values_list("province", "city", "district", "detail")
            counts = Counter(squeeze("".join(row)) for row in rows)
        limit = settings.threshold["orders_per_address"]
        for c in candidates:
            key, detail = keys[id(c)]
            n = counts.get(key, 0) + (c.order_id is None) if detail else 0
            if n > limit:
                c.findings.append(
                    Finding("orders_per_address", "malicious", M_ADDRESS_RATE, str(n))
                )
    if "orders_per_ip" in enabled:
        since = now - timedelta(minutes=settings.window["orders_per_ip"])
        ips = {c.client_ip for c in candidates if c.client_ip}
        counts = dict(
            Order.objects.filter(client_ip__in=ips, placed_at__gte=since)
            .values_list("client_ip")
            .annotate(n=Count("id"))
        )
        limit = settings.threshold["orders_per_ip"]
        for c in candidates:
            if c.client_ip:
                n = counts.get(c.client_ip, 0) + (c.order_id is None)
                if n > limit:
                    c.findings.append(Finding("orders_per_ip", "malicious", M_IP_RATE, str(n)))


def _blacklist_findings(candidates: list[Candidate]) -> None:
    entries = list(BlacklistEntry.objects.values_list("kind", "value"))
    if not entries:
        return
    phones = {v for k, v in entries if k == BlacklistKind.PHONE}
    ips = {v for k, v in entries if k == BlacklistKind.IP}
    names = {squeeze(v) for k, v in entries if k == BlacklistKind.NAME}
    addresses = [squeeze(v) for k, v in entries if k == BlacklistKind.ADDRESS]
    for c in candidates:
        hits = []
        if national_mobile(c.phone) in phones:
            hits.append(str(_("phone")))
        if c.client_ip and c.client_ip in ips:
            hits.append(str(_("IP address")))
        if squeeze(c.recipient) in names:
            hits.append(str(_("name")))
        key = c.address_key
        if key and any(a and a in key for a in addresses):
            hits.append(str(_("address")))
        if hits:
            c.findings.append(Finding("blacklist", "malicious", M_BLACKLIST, ", ".join(hits)))


def _cod_findings(candidates: list[Candidate], settings: Settings) -> None:
    enabled = settings.enabled
    cod = [c for c in candidates if c.cod]
    if not cod:
        return
    if "cod_amount" in enabled:
        limit = settings.threshold["cod_amount"]
        for c in cod:
            if c.total > limit:
                c.findings.append(Finding("cod_amount", "cod-risk", M_COD_AMOUNT, str(c.total)))
    if "cod_refusals" in enabled:
        refused = Shipment.objects.filter(
            status__in=(ShipmentStatus.REFUSED, ShipmentStatus.RETURNED),
            order__payment_method="cod",
            cod_amount__gt=0,
        )
        customers = {c.customer_id for c in cod if c.customer_id}
        mobiles = {national_mobile(c.phone) for c in cod}
        by_customer = dict(
            refused.filter(any_of("order__customer_id", customers))
            .values_list(F("order__customer_id"))
            .annotate(n=Count("id"))
        )
        by_mobile = dict(
            refused.filter(any_of("order__mobile", mobiles))
            .values_list(F("order__mobile"))
            .annotate(n=Count("id"))
        )
        limit = settings.threshold["cod_refusals"]
        for c in cod:
            n = max(by_customer.get(c.customer_id, 0), by_mobile.get(national_mobile(c.phone), 0))
            if limit and n >= limit:
                c.findings.append(Finding("cod_refusals", "cod-risk", M_COD_REFUSED, str(n)))


def check_candidates(candidates: list[Candidate], *, settings: Settings | None = None, now=None):
    """Run every enabled rule; each candidate's `findings` are filled (duplicates of one
    rule and message dropped), in place."""
    settings = settings or load_settings()
    now = now or timezone.now()
    _local_findings(candidates)
    _rate_findings(candidates, settings, now)
    if "blacklist" in settings.enabled:
        _blacklist_findings(candidates)
    _cod_findings(candidates, settings)
    if "large_quantity" in settings.enabled:
        for c in candidates:
            if c.max_quantity > settings.threshold["large_quantity"]:
                c.findings.append(
                    Finding("large_quantity", "malicious", M_QUANTITY, str(c.max_quantity))
                )
    for c in candidates:
        seen, kept = set(), []
        for f in c.findings:
            if f.rule in settings.enabled and (f.rule, f.message) not in seen:
                seen.add((f.rule, f.message))
                kept.append(f)
        c.findings = kept
    return candidates


def reasons_of(findings) -> list[str]:
    """The distinct reasons, in the fixed order address, phone, incomplete, malicious,
    cod-risk."""
    found = {f.reason for f in findings}
    return [r for r in REASONS_ORDER if r in found]


def check_address(
    *,
    recipient: str,
    phone: str,
    address: str,
    cod: bool = False,
    total: Decimal = Decimal("0.00"),
    quantity: int = 0,
    client_ip: str | None = None,
) -> Candidate:
    """The rules on one address without an order (the check form and command)."""
    candidate = Candidate(
        recipient=recipient,
        phone=phone,
        address=normalise(address),
        cod=cod,
        total=total,
        max_quantity=quantity,
        client_ip=client_ip,
    )
    try:
        with transaction.atomic():
            check_candidates([candidate])
    except DatabaseError:
        # No database to count orders in (not migrated, not reachable): the rules that
        # need none still run, with their defaults.
        candidate.findings = []
        local = Settings(frozenset(LOCAL_RULES), {}, {})
        _local_findings([candidate])
        candidate.findings = [f for f in candidate.findings if f.rule in local.enabled]
        if quantity > RULES["large_quantity"].threshold:
            candidate.findings.append(
                Finding("large_quantity", "malicious", M_QUANTITY, str(quantity))
            )
        if cod and total > RULES["cod_amount"].threshold:
            candidate.findings.append(Finding("cod_amount", "cod-risk", M_COD_AMOUNT, str(total)))
        candidate.database_missing = True
    return candidate
