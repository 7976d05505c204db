"""axe-core in a Playwright page: the WCAG 2.2 A and AA rules, and what they find.

axe-core 4.14.1 is vendored beside this module (assets/axe-core, MPL-2.0): the tests need
no network. `violations(page)` puts it in the page once and answers a short, readable list
of what failed ("color-contrast: #main .muted (4.32:1)").
"""

from pathlib import Path

AXE_JS = Path(__file__).parent / "assets" / "axe-core" / "axe.min.js"
# The rules of WCAG 2.0, 2.1 and 2.2 at levels A and AA (axe's tags for them).
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]


_cache: dict[str, str] = {}


def _source() -> str:
    if "axe" not in _cache:
        _cache["axe"] = AXE_JS.read_text(encoding="utf-8") + "\n;true"
    return _cache["axe"]


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
