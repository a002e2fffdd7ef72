"""axe-core accessibility checks for pages under test (WCAG 2.0 to 2.2, levels A and AA).

The vendored axe.min.js is evaluated in the page (`page.evaluate(source)`), not
added as a script tag, so a Content-Security-Policy without inline scripts does
not stop it. A page state already checked at the same viewport is not checked
twice in a run.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text()
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
_RUN = """async (tags) => {
  const results = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
  return results.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + ": " + n.failureSummary.split("\\n").slice(1).join("; ")),
  }));
}"""
_checked: set[str] = set()
stats = {"checked": 0, "skipped": 0, "seconds": 0.0}


def violations(page) -> list[dict]:
    """axe's WCAG A/AA violations on the page as it is now."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_SOURCE)
    return page.evaluate(_RUN, WCAG_TAGS)


# The page's address, width and markup, without the session's CSRF token (the same
# page for another session is the same page) and the bell's count (it loads just
# after the page; a page is not checked again only because the count came in).
_STATE = """() => {
  const token = JSON.parse(document.body ? document.body.getAttribute("hx-headers") || "{}" : "{}")["X-CSRF-Token"];
  const bell = document.getElementById("bell");
  let html = document.documentElement.outerHTML;
  if (bell) html = html.replace(bell.outerHTML, "");
  if (token) html = html.split(token).join("");
  return [location.href, location.pathname + location.search, innerWidth, html];
}"""


def check(page, where: str = "") -> None:
    """Fail the test if the page, as it is now, has any WCAG A/AA violation."""
    href, *state = page.evaluate(_STATE)
    if not href.startswith("http"):
        return  # about:blank before the first visit
    key = hashlib.sha256(repr(state).encode()).hexdigest()
    if key in _checked:
        stats["skipped"] += 1
        return
    started = time.perf_counter()
    found = violations(page)
    stats["checked"] += 1
    stats["seconds"] += time.perf_counter() - started
    if found:
        lines = [f"axe: {len(found)} WCAG A/AA violations on {state[0]} at {state[1]}px {where}"]
        for v in found:
            lines.append(f"  {v['id']} ({v['impact']}): {v['help']}")
            lines += [f"    {node}" for node in v["nodes"]]
        raise AssertionError("\n".join(lines))
    _checked.add(key)
