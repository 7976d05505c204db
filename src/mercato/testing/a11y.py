"""axe-core in a Playwright page: the WCAG 2.2 A and AA rules, and what they find.

axe-core 4.14.1 is vendored beside this module (assets/axe-core, MPL-2.0): the tests need
no network. `violations(page)` puts it in the page once and answers a short, readable list
of what failed ("color-contrast: #main .muted (4.32:1)").
"""

import functools
from pathlib import Path

AXE_JS = Path(__file__).parent / "assets" / "axe-core" / "axe.min.js"
# The rules of WCAG 2.0, 2.1 and 2.2 at levels A and AA (axe's tags for them).
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]


@functools.cache
def _source() -> str:
    return AXE_JS.read_text(encoding="utf-8") + "\n;true"


def violations(page, *, tags=WCAG_22_AA) -> list[str]:
    """Each axe violation on the page, one line per failing element."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol, which the pages' CSP (script-src 'self')
        # does not govern; a <script> tag (page.add_script_tag) would be refused.
        page.evaluate(_source())
    result = page.evaluate(
        """async (tags) => {
            const r = await axe.run(document, {runOnly: {type: "tag", values: tags},
                                               resultTypes: ["violations"]});
            return r.violations.map(v => ({
                id: v.id,
                nodes: v.nodes.map(n => ({target: n.target.join(" "),
                                          summary: (n.failureSummary || "").slice(0, 200)})),
            }));
        }""",
        tags,
    )
    return [f"{v['id']}: {n['target']} ({n['summary']})" for v in result for n in v["nodes"]]


def report(found: dict[str, list[str]]) -> str:
    """What a walk found, page by page, for a failing test's message."""
    return "\n".join(f"{url}\n  " + "\n  ".join(problems) for url, problems in found.items())


def share_session(client, page, base: str) -> None:
    """The test client's cookies (its log-in, its cart) in the browser."""
    page.context.add_cookies(
        [{"name": k, "value": m.value, "url": base} for k, m in client.cookies.items()]
    )


def walk(page, base: str, urls) -> dict[str, list[str]]:
    """axe on every page of `urls`: the pages with violations, and what failed on each."""
    found = {}
    for url in urls:
        page.goto(base + url)
        page.wait_for_load_state("networkidle")
        problems = violations(page)
        if problems:
            found[url] = problems
    return found


# Keyboard walks ---------------------------------------------------------------------------
def focused(page) -> dict:
    """What has the focus: tag, id, name, value, its accessible text and href."""
    return page.evaluate(
        """() => { const e = document.activeElement;
            return {tag: e.tagName, id: e.id, name: e.getAttribute("name") || "",
                    value: e.getAttribute("value") || "",
                    text: (e.getAttribute("aria-label") || e.textContent || "").trim(),
                    href: e.getAttribute("href") || ""}; }"""
    )


def follow(page) -> None:
    """Enter on a link or a form's button, and wait for the page it opens."""
    with page.expect_navigation():
        page.keyboard.press("Enter")


def tab_to(page, test, limit=80) -> int:
    """Press Tab until the focused element passes `test`; the number of presses."""
    for n in range(1, limit + 1):
        page.keyboard.press("Tab")
        if test(focused(page)):
            return n
    raise AssertionError(f"not reached in {limit} Tabs; focus on {focused(page)}")
