"""Every page of the journeys passes axe-core with no serious or critical violation, as an owner.

axe-core comes from npm (package.json devDependencies; ``make install`` runs ``npm ci``). Our CSP
refuses inline scripts, so axe is evaluated through the DevTools protocol (``page.evaluate``),
which CSP doesn't govern, instead of an injected ``<script>`` tag; the pages keep their real CSP.
"""

from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.e2e.tour import TOUR, seed_tour, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = {"serious", "critical"}


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def axe_violations(page: Page) -> list[str]:
    """Run axe on the page; return "rule: target" lines for serious and critical violations."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text())
    results = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {node['target']} {node['failureSummary'].splitlines()[-1]}"
        for v in results["violations"]
        if v["impact"] in BLOCKING
        for node in v["nodes"]
    ]


def test_journey_pages_have_no_serious_axe_violations(
    page: Page, live_server, settings, owner, sandbox, media_root, tmp_path, csp_violations
):
    if not AXE.exists():
        pytest.fail("axe-core is missing: run `make install` (npm ci)")
    settings.PUBLIC_BASE_URL = live_server.url
    tour = seed_tour(owner, sandbox, tmp_path)
    sign_in(page, live_server.url, owner)

    found = {}
    for name, path in TOUR.items():
        page.goto(live_server.url + path(tour))
        page.wait_for_load_state("networkidle")
        if violations := axe_violations(page):
            found[name] = violations

    assert found == {}, "\n".join(
        f"{name}: {line}" for name, lines in found.items() for line in lines
    )
    assert page.evaluate("document.documentElement.lang") == "en"  # the active language
    assert csp_violations == []
