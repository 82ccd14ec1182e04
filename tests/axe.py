"""axe-core in the browser tests: serious and critical accessibility findings fail the test.

axe.min.js is vendored under tests/vendor/axe-core (MPL-2.0, with its licence), so the check needs no network.
It is evaluated through the DevTools protocol, which the page's CSP (script-src 'self') does not govern.
"""

from pathlib import Path

AXE_JS = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
FAILING = ("serious", "critical")


def _describe(violation) -> str:
    nodes = "; ".join(" ".join(n["target"]) for n in violation["nodes"][:5])
    return f"{violation['impact']} {violation['id']}: {violation['help']} — {nodes}"


def axe_violations(page) -> list[str]:
    """The serious and critical findings of axe-core on the page as it is now."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_JS.read_text(encoding="utf-8"))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [_describe(v) for v in result["violations"] if v["impact"] in FAILING]


def assert_accessible(page) -> None:
    found = axe_violations(page)
    assert not found, f"{page.url}:\n" + "\n".join(found)
