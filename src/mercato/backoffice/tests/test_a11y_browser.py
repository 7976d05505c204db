"""Accessibility of the back office (issue 18), in Chromium:

- axe-core's WCAG 2.2 A/AA rules find nothing on any back-office page each department's
  demo user may open; the pages come from the URL configuration (mercato.testing.pages),
  so a page added later is checked too. The walk runs over the demo-shaped back office of
  mercato.testing.backoffice_seed (orders in every stage, a return, a wave, parcels, a phone
  order, a notice to review...), and a page the user may open that no row reaches fails
  the walk, unless UNREACHED says why it cannot be reached;
- on each page of one object with a form, Tab reaches every control and the focus shows.
The keyboard-only product edit and price change is in test_a11y_keyboard.py: a
transactional test, it must not share this module, whose data stays until its last test.
"""

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test import Client, override_settings
from django.urls import resolve
from pytest_django.live_server_helper import LiveServer

from mercato.backoffice.navigation import user_may
from mercato.demo.data import DEMO_LOGINS
from mercato.testing.a11y import report as _report
from mercato.testing.a11y import share_session, walk
from mercato.testing.backoffice_seed import SETTINGS, seed_back_office
from mercato.testing.pages import survey

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("a11y_walk")]
ROLES = {username: (department, roles) for username, department, roles, *_ in DEMO_LOGINS}
PUBLIC_NAMES = {"backoffice:login", "backoffice:logout"}
# Back-office routes a demo user may open that the walk cannot reach, each with its reason.
# Every other route the user may open must be reached: a page that needs an object the
# seed lacks fails the walk (seed one in mercato.testing.backoffice_seed).
UNREACHED = {
    # A POST-only action (no page to check) on a product picture: a picture is an upload
    # whose files (the picture and its thumbnails) would outlive the module in MEDIA_ROOT.
    "backoffice:image_delete": "a POST-only action on an uploaded picture",
    # A purchase order's and a transfer's steps (submit, approve, send, ship, receive...):
    # POST-only actions, their forms are on the order's and the transfer's pages.
    "backoffice:po_step": "a POST-only step of a purchase order",
    "backoffice:transfer_step": "a POST-only step of a transfer order",
    "backoffice:count_step": "a POST-only step of a cycle count",
    "backoffice:tender_step": "a POST-only step of a tender",
    "backoffice:resource_task_step": "a POST-only step of a resource task",
    # A purchase order's pages: the walk fills a URL parameter from a model field of the
    # same name, and `po_number` names none (the role walk needs it so: `number` under
    # procurement/orders/ would be filled with a customer order's). Their markup is
    # checked by test_procurement_views and the receiving test in a real browser.
    "backoffice:po_detail": "po_number fills from no field (see above)",
    "backoffice:po_lines": "po_number fills from no field (see above)",
    "backoffice:po_pdf": "a PDF, not a page; po_number fills from no field",
    "backoffice:po_receive": "po_number fills from no field (see above)",
}


@pytest.fixture(scope="module")
def back_office(django_db_setup, django_db_blocker):
    """The seeded back office, a live server on it, and each demo user's log-in and
    survey of the pages (mercato.testing.pages.survey), for the module. The rows and the
    sessions are committed, not rolled back: on PostgreSQL the server's thread reads through
    a connection of its own, which does not see another connection's open transaction.
    After the module the tables hold again what the migrations wrote (the tests' marker asks
    pytest-django to keep a copy of it: serialized_rollback)."""
    # The tests' own settings (conftest) are not in force yet for a module fixture.
    with django_db_blocker.unblock(), override_settings(**SETTINGS):
        try:
            data = seed_back_office()
            walkers = {}
            for username, user in data["users"].items():
                client = Client()
                client.force_login(user)
                found = survey(client, prefix="backoffice/", may_open=_may_open(user))
                walkers[username] = (client, found)
            server = LiveServer("localhost")
            server._live_server_modified_settings.enable()
            try:
                yield {"url": server.url, "walkers": walkers}
            finally:
                server._live_server_modified_settings.disable()
                server.stop()
        finally:
            # Back to the database the migrations left (their rows: default synonyms,
            # roles...), as a TransactionTestCase with serialized_rollback does: the tests
            # that follow in this process expect it.
            # Sequences stay where they are, as TransactionTestCase's flush leaves them: the
            # rows put back keep their ids, and a reset sequence would hand those out again
            # (a later test's insert failed on search_synonymgroup's primary key).
            call_command(
                "flush", verbosity=0, interactive=False, inhibit_post_migrate=True,
                reset_sequences=False,
            )  # fmt: skip
            connection.creation.deserialize_db_from_string(connection._test_serialized_contents)
            cache.clear()


def _may_open(user):
    def may_open(route) -> bool:
        permission = getattr(route.pattern.callback, "staff_permission", None)
        return route.name not in PUBLIC_NAMES and user_may(user, permission)

    return may_open


@pytest.mark.django_db(serialized_rollback=True)
@pytest.mark.parametrize("username", list(ROLES))
def test_no_back_office_page_breaks_a_wcag_rule(back_office, browser_page, username):
    """axe finds no WCAG 2.2 A/AA violation on any back-office page `username` may open,
    and every such page is reached (or UNREACHED says why not)."""
    client, found = back_office["walkers"][username]
    assert "/backoffice/" in found.pages  # every staff member has a workspace
    missed = {r.name: r.route for r in found.unreached if r.name not in UNREACHED}
    assert not missed, f"{username} cannot reach, for want of data: {missed}"
    print(f"\n{username}: {len(found.pages)} back-office pages checked")
    share_session(client, browser_page, back_office["url"])
    problems = walk(browser_page, back_office["url"], found.pages)
    assert not problems, _report(problems)


# What a keyboard user reaches on a page: each form control of <main> that is shown, in
# turn (a radio group counts once: the arrows move within it), and whether the focus shows.
_CONTROLS = """() => {
    const seen = new Set(), keys = [];  // [key, what] in document order
    document.querySelectorAll(
        "main form :is(input, select, textarea, button):not([type=hidden]):not([disabled])"
    ).forEach((e, n) => {
        // Shown only: not in a closed <details> (its summary opens it), not hidden.
        if (!e.checkVisibility({visibilityProperty: true})) return;
        const key = e.type === "radio" ? `radio:${e.form ? "f" : ""}${e.name}` : `c${n}`;
        e.dataset.kb = key;
        const what = `<${e.tagName.toLowerCase()} name=${e.name || e.textContent.trim()}>`;
        if (!seen.has(key)) { seen.add(key); keys.push([key, what]); }
    });
    return keys;
}"""
_FOCUS = """() => {
    const e = document.activeElement, s = getComputedStyle(e);
    // The outline against the background around the element: 3:1 at least (WCAG 1.4.11).
    const rgb = c => (c.match(/[\\d.]+/g) || []).map(Number);
    const lum = ([r, g, b]) => [r, g, b].map(v => v / 255)
        .map(v => v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4)
        .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
    let bg = e.parentElement;
    while (bg && (rgb(getComputedStyle(bg).backgroundColor)[3] === 0
                  || getComputedStyle(bg).backgroundColor === "transparent")) {
        bg = bg.parentElement;
    }
    const [a, b] = [lum(rgb(s.outlineColor)),
                    lum(bg ? rgb(getComputedStyle(bg).backgroundColor) : [255, 255, 255])];
    const contrast = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    return {key: e.dataset.kb || "", tag: e.tagName, name: e.getAttribute("name") || "",
            shown: (s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0
                    && contrast >= 3) || s.boxShadow !== "none",
            contrast: Math.round(contrast * 100) / 100};
}"""


def _keyboard_problems(page, limit: int = 200) -> list[str]:
    """Tab through the page: the form controls of <main> no Tab reaches, and the ones
    whose focus does not show."""
    controls = dict(page.evaluate(_CONTROLS))
    reached, problems = set(), []
    for _ in range(limit):
        if reached >= controls.keys():
            break
        page.keyboard.press("Tab")
        now = page.evaluate(_FOCUS)
        if now["key"] and now["key"] not in reached:
            reached.add(now["key"])
            if not now["shown"]:
                problems.append(
                    f"no visible focus on <{now['tag']} name={now['name']!r}> "
                    f"(outline {now['contrast']}:1)"
                )
    missed = [what for key, what in controls.items() if key not in reached]
    if missed:
        problems.append(f"{len(missed)} form controls not reached by Tab: {missed[:8]}")
    return problems


@pytest.mark.django_db(serialized_rollback=True)
def test_the_pages_of_one_object_work_with_the_keyboard(back_office, browser_page):
    """On every back-office page of one object (a wave, a parcel to pack, a review, a
    phone order, a return, a remittance, an import...: the pages the walk reaches thanks
    to the seed), Tab reaches each control of the page's forms, and the focus shows: an
    outline of 3:1 against the background around the control, or a shadow."""
    client, found = back_office["walkers"]["tech"]
    share_session(client, browser_page, back_office["url"])
    objects = [url for url in found.pages if "<" in resolve(url).route]
    checked, problems = 0, {}
    for url in objects:
        browser_page.goto(back_office["url"] + url)
        browser_page.wait_for_load_state("networkidle")
        if not browser_page.locator("main form").count():
            continue
        checked += 1
        if found_here := _keyboard_problems(browser_page):
            problems[url] = found_here
    print(f"\nkeyboard: {checked} pages of one object with forms, Tab-walked")
    assert checked >= 8, objects
    assert not problems, _report(problems)
