"""Every page a Chinese user opens reads in Chinese (issue 11: "renders every back-office
page in zh_Hans and fails on untranslated English words in the page body").

Each department's demo user walks every back-office page it may open (Django's own admin
excluded: its words are Django's); the demo shopper and an anonymous visitor walk every
page of the shop (a staff member on the shop is a visitor), all in zh-hans, over a
demo-shaped dataset: seed_demo's catalogue, staff and shoppers (40 products: the pages,
not the volume, matter here), plus orders in every stage (unpaid, held by review, in a
wave, packed, delivered, refused, returned, exchanged, refunded, cancelled, on hold), a
phone order being taken and audited changes. The pages come from the URL resolver, so a
page added later is walked without editing this file; a detail page is read for the first
ROWS_PER_PAGE rows, so each stage's page is read. Pages without a row to show are left
out (a guest's signed link shows the member's order page, which is read).

What a user sees (text, and the placeholder/title/alt/aria-label/button words) must not show:
- English words: a Latin word is allowed only when it is content someone typed (a brand,
  product, SKU, category or spec name, a person's, place's or carrier's name: the words of
  those fields in the data) or in the short ALLOWED list below (units, acronyms Chinese
  retail staff use as is, file formats, the brand of the software);
- raw values: True/False/None, snake_case identifiers, model labels (staff.ApiToken),
  and "∅" (an empty value must read as a word or a dash);
Words in <code>, <kbd>, <samp> or <pre> are shown as codes on purpose (a SKU code, a file's
column name), so only the raw-value rules apply to them.
"""

import contextlib
import re
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models
from django.test import override_settings
from django.urls import NoReverseMatch, reverse

from mercato.backoffice.navigation import user_may
from mercato.testing.backoffice_seed import SETTINGS, STAFF, seed_back_office
from mercato.testing.fixtures import rolled_back
from mercato.testing.pages import routes

from .test_role_walk import PUBLIC_NAMES, _model_for, _permission

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("zh_walk")]
User = get_user_model()

WALKERS = [*STAFF, "shopper", "anonymous"]

# Latin words a Chinese page may show as they are, each for a reason:
ALLOWED = {
    # The software's name, and the language switcher naming English in English.
    "Mercato", "English", "EN",
    # Acronyms Chinese retail staff say and read as is.
    "SKU", "SPU", "API", "IP", "ID", "URL", "SMS", "VIP", "EAN", "SEO", "RFM", "KPI", "ROI",
    "CPS", "EDM", "QA", "OK", "HTTP", "HTTPS", "JSON", "HTML", "javascript", "nonce",
    # ABC classes of stock (ABC分类: A类, B类, C类), as warehouses name them.
    "ABC",
    # File formats and encodings named on upload and export pages.
    "CSV", "XLSX", "Excel", "PDF", "UTF", "ISO", "PNG", "JPEG", "WebP", "MB", "KB",
    # Units.
    "g", "kg", "mm", "cm", "m", "ml", "L", "GB", "TB", "mAh", "W", "Hz", "V",
}  # fmt: skip
# The models whose text is content someone typed (its words may be Latin: Apple, iPhone,
# a login name, a slug): the catalogue, people and places. Their text fields count, except
# keys and notes. Words match case-sensitively: a login "orders" does not let an
# untranslated heading "Orders" through.
CONTENT_MODELS = {
    "catalog.Category", "catalog.Brand", "catalog.Product", "catalog.Sku",
    "catalog.SpecAttribute", "catalog.SkuSpecValue", "catalog.ProductImage", "catalog.HomeSlot",
    "customers.Customer", "customers.Address", "inventory.Warehouse", "staff.StaffProfile",
    "staff.ApiToken", "fulfillment.Carrier", "fulfillment.BoxSize", "search.SynonymGroup",
    User._meta.label,
}  # fmt: skip
NOT_CONTENT = {"password", "spec_key", "token_hash", "note"}

RAW = [
    (re.compile(r"∅"), "an empty value shown as ∅"),
    (re.compile(r"\b(?:True|False|None)\b"), "a raw Python value"),
    (re.compile(r"\b[a-z][a-z0-9]*\.[A-Z][A-Za-z]+\b"), "a model label"),
]
SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
# Not words: links, e-mail addresses, paths (/c/shouji/), file extensions (.csv) and API
# token prefixes (mk_ and random letters, staff.services); and anything with a digit
# (numbers, SKU codes, waybill numbers) or capitals joined by dashes (DEMO-OPENING).
LINKS = re.compile(
    r"https?://\S+|\S+@\S+|(?<![\w/])/[\w/.-]+|\.(?:csv|xlsx|xls|pdf|png|jpe?g|webp|txt|json)\b|\bmk_[\w-]+"
)
CODE_LIKE = re.compile(r"[\w.+/:@#-]*\d[\w.+/:@#-]*|\b[A-Z]+(?:-[A-Z0-9]+)+\b")
LATIN_WORD = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)?")


# What a user sees ---------------------------------------------------------------------
class _Visible(HTMLParser):
    """The text a user reads, as (text, is_code) pieces."""

    HIDDEN = {"script", "style", "template", "head", "svg"}
    CODE = {"code", "kbd", "samp", "pre"}
    ATTRIBUTES = ("placeholder", "title", "alt", "aria-label")
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
            "source", "track", "wbr"}  # fmt: skip

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.pieces, self.stack = [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in self.ATTRIBUTES:
            if attrs.get(name):
                self.pieces.append((attrs[name], False))
        if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
            self.pieces.append((attrs["value"], False))
        if tag == "title":
            self.stack.append("title")
        elif tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in self.stack:
            while self.stack and self.stack.pop() != tag:
                pass

    def handle_data(self, data):
        stack = set(self.stack)
        if stack & self.HIDDEN and "title" not in stack:
            return
        if data.strip():
            self.pieces.append((data, bool(stack & self.CODE)))


def visible(html: str) -> list[tuple[str, bool]]:
    parser = _Visible()
    parser.feed(html)
    parser.close()
    return parser.pieces


def content_words() -> set[str]:
    """The Latin words of the content fields (see CONTENT_MODELS)."""
    words = set()
    for label in CONTENT_MODELS:
        model = apps.get_model(label)
        fields = [
            f.attname
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField)
            and not f.choices
            and f.name not in NOT_CONTENT
        ]
        for row in model._default_manager.values_list(*fields):
            for value in row:
                words.update(LATIN_WORD.findall(str(value or "")))
    return words


def problems_in(html: str, allowed_content: set[str]) -> list[str]:
    found = []
    for text, is_code in visible(html):
        for pattern, what in RAW:
            found += [f"{what}: {m!r} in {text.strip()[:80]!r}" for m in pattern.findall(text)]
        if is_code:
            continue
        text = LINKS.sub(" ", text)
        found += [f"a raw name: {m!r} in {text.strip()[:80]!r}" for m in SNAKE.findall(text)]
        english = [
            word
            for word in LATIN_WORD.findall(CODE_LIKE.sub(" ", SNAKE.sub(" ", text)))
            if word not in ALLOWED and word not in allowed_content
        ]
        if english:
            found.append(f"English {' '.join(dict.fromkeys(english))!r} in {text.strip()[:80]!r}")
    return found


# The dataset, once per module ----------------------------------------------------------


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    # The tests' own settings (conftest) are not in force yet for a module fixture.
    with django_db_blocker.unblock(), rolled_back(), override_settings(**SETTINGS):
        data = seed_back_office()
        data["content"] = content_words()
        yield data


# The pages, from the URL resolver -------------------------------------------------------
NOT_PAGES = ("backoffice/", "admin/", "api/", "i18n/", "media/", "healthz", "readyz")
ROWS_PER_PAGE = 12  # a detail page is read for this many rows: each stage of an order
# Routes whose parameter names a row of an app the route does not name.
ROUTE_MODELS = {
    "returns/": "aftersales.ReturnRequest",
    "payments/return/": "payments.Payment",
    "backoffice/review/": "orders.Order",
}


def _rows(param: str, route: str, context: str) -> list:
    """Values for a URL parameter: the first ROWS_PER_PAGE rows of the model it names."""
    model = next(
        (apps.get_model(label) for prefix, label in ROUTE_MODELS.items() if prefix in route),
        None,
    )
    if param.endswith("_id") or param == "pk":
        model = model or _model_for(param, context)
        column = "pk"
    else:
        column = param
        if model is None:
            model = next(
                (
                    m for m in apps.get_models()
                    if m._meta.app_label in context
                    and param in {f.name for f in m._meta.concrete_fields}
                ),
                None,
            )  # fmt: skip
        if model is None and param == "slug":
            model = apps.get_model("catalog.Category" if "c/" in route else "catalog.Product")
    if model is None:
        return []
    values = model._default_manager.order_by("pk").values_list(column, flat=True)
    return [v for v in values[:ROWS_PER_PAGE] if v not in (None, "")]


def pages(prefix: str, user=None) -> list[str]:
    """Every GET-able URL of the shop (prefix "") or the back office ("backoffice/") that
    `user` may open, parameters filled from the seeded rows (the first one varies)."""
    urls = []
    for r in routes():
        route, name, pattern = r.route, r.name, r.pattern
        in_back_office = route.startswith("backoffice/")
        if in_back_office != (prefix == "backoffice/"):
            continue
        if not in_back_office and route.startswith(NOT_PAGES):
            continue
        if in_back_office and (name in PUBLIC_NAMES or not user_may(user, _permission(pattern))):
            continue
        context = f"{route} {pattern.lookup_str}"
        params = list(pattern.pattern.converters)
        values = {p: _rows(p, route, context) for p in params}
        if any(not v for v in values.values()):
            continue  # no row to show (a guest link, a reset token): nothing to read
        first = params[0] if params else None
        for value in values[first] if first else [None]:
            kwargs = {p: v[0] for p, v in values.items()} | ({first: value} if first else {})
            with contextlib.suppress(NoReverseMatch):
                urls.append(reverse(name, kwargs=kwargs))
    return urls


def _log_in(client, world, walker):
    if walker == "anonymous":
        return None
    user = world["shopper"].user if walker == "shopper" else world["users"][walker]
    client.force_login(user)
    return user


def _read(client, urls, content) -> tuple[int, dict]:
    found, read = {}, 0
    for url in urls:
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-Hans")
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue  # a POST-only action, a redirect (its target is walked), a file
        read += 1
        for problem in problems_in(response.content.decode(), content):
            found.setdefault(problem, []).append(url)
    return read, found


def _report(read: int, found: dict) -> str:
    lines = [
        f"{problem}  (on {', '.join(urls[:3])}{' …' if len(urls) > 3 else ''})"
        for problem, urls in sorted(found.items())
    ]
    return f"{len(lines)} problems on {read} pages:\n" + "\n".join(lines)


# Staff read the back office; the shop is read by the shopper and by a visitor (a staff
# member on the shop is a visitor: the shop has no staff-only words).
@pytest.mark.parametrize("walker", STAFF)
def test_every_back_office_page_reads_in_chinese(client, world, walker):
    """No back-office page a department's user may open shows, in zh-hans, English UI
    words, raw values or ∅."""
    user = _log_in(client, world, walker)
    read, found = _read(client, pages("backoffice/", user), world["content"])
    assert read >= 5, f"{walker} read only {read} pages"
    assert not found, _report(read, found)


@pytest.mark.parametrize("walker", ["shopper", "anonymous"])
def test_every_shop_page_reads_in_chinese(client, world, walker):
    """No shop page (and, for a visitor, not the back office's log-in) shows, in zh-hans,
    English UI words, raw values or ∅."""
    _log_in(client, world, walker)
    urls = pages("") + (["/backoffice/login/"] if walker == "anonymous" else [])
    read, found = _read(client, urls, world["content"])
    assert read >= 5, f"{walker} read only {read} pages"
    assert not found, _report(read, found)


# The rule itself ----------------------------------------------------------------------
def test_the_rule_flags_what_issue_11_found_and_passes_content():
    """Raw codes, Python values, model labels, field names, ∅ and English UI words are
    flagged; Chinese words, content words, codes in <code>, numbers, units and links pass."""
    flagged = {
        "<td>sandbox</td>": "English 'sandbox'",
        "<td>True</td>": "a raw Python value",
        "<td>None</td>": "a raw Python value",
        "<td>staff.ApiToken</td>": "a model label",
        "<li>pending_payment</li>": "a raw name",
        "<dd>∅</dd>": "∅",
        '<input placeholder="Search products">': "English 'Search products'",
        '<button title="Close">×</button>': "English 'Close'",
    }
    for html, what in flagged.items():
        assert any(what in p for p in problems_in(html, set())), html
    fine = (
        "<p>订单 20261204-000001 已发货，运单号 SF1234567890，重 1.2 kg</p>"
        "<p>Apple iPhone 15 256GB · SKU <code>APL-IP15-256</code> · <code>waybill_no</code></p>"
        '<a href="/c/shouji/">手机</a><p>文件（.csv 或 .xlsx），见 https://example.com/a_b</p>'
        "<p>对账脚本 (mk_tgc-Gew…)</p><script>var x_y = None;</script>"
    )
    assert problems_in(fine, {"Apple", "iPhone"}) == []


def test_the_walk_reaches_every_stage(world):
    """The walk is not vacuous: the orders of every stage, the return, the audit log, the
    review queue and the phone order are among the pages read."""
    staff = pages("backoffice/", world["users"]["tech"])
    order_pages = [u for u in staff if re.fullmatch(r"/backoffice/orders/[\d-]+/", u)]
    assert len(order_pages) >= 8
    assert {"/backoffice/audit/", "/backoffice/review/", "/backoffice/returns/"} <= set(staff)
    assert any(re.fullmatch(r"/backoffice/orders/phone/\d+/", u) for u in staff), staff
    operations = pages("backoffice/", world["users"]["ops-lead"])
    jobs = [u for u in operations if re.fullmatch(r"/backoffice/catalog/imports/\d+/", u)]
    assert len(jobs) == 3, jobs  # with row errors, a missing column, a broken file
    shop = pages("")
    assert any(u.startswith("/orders/returns/RT") for u in shop)
    assert any(u.startswith("/p/") for u in shop) and "/orders/" in shop
