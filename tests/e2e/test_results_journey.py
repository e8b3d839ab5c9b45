"""Results, as a marketer reads them (issue #18): open a campaign's comparison, switch the range,
download the CSV, and make more like the winner.

The campaign is ``results_data.seed_campaign``'s: two audiences of two variants, each with a
Facebook post and an ad, published 39 days ago; variant 1 of audience 1 is three times as strong.
Results → the campaign's link → the charts are drawn and the winner is marked → *Last 7 days*,
then two dates of one's own, and the table's figures follow → the CSV holds what the table shows →
*Make more like this* starts new variants from the chosen range's figures. The overview and the
comparison pass axe-core with no serious or critical violation, and no page breaks the CSP.
"""

import csv
import re
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from playwright.sync_api import Page, expect

from creatives.studio.models import GenerationJob
from insights import reports
from tests.e2e.test_accessibility import AXE, axe_violations
from tests.e2e.tour import sign_in
from tests.insights.results_data import ad_day, post_totals, seed_campaign

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WINNER = "Audience 1 · variant 1"
STRENGTH = 3
# The table's header, then the CSV's: every money column is followed by its currency.
COLUMNS = [
    "Name",
    "Posts and ads",
    "Impressions and views",
    "Reach (summed)",
    "Engagements",
    "Engagement rate",
    "Clicks",
    "CTR",
    "Spend",
    "CPC",
    "Results (link clicks)",
    "Cost per result",
]
MONEY = {"Spend", "CPC", "Cost per result"}
CSV_HEADER = [
    part for name in COLUMNS for part in ([name, f"{name} currency"] if name in MONEY else [name])
]

# The row's cells as the page shows them, keyed by column; the name without its badges.
READ_ROW = """(row) => {
  const heads = [...row.closest("table").querySelectorAll("thead th")].map((th) => th.textContent.trim());
  const cells = [...row.children].map((cell) => {
    const copy = cell.cloneNode(true);
    copy.querySelectorAll(".badge, .visually-hidden, form, a").forEach((node) => node.remove());
    return copy.textContent.trim();
  });
  return Object.fromEntries(
    heads.map((head, i) => [head, cells[i]]).filter(([head]) => head !== "Actions"),
  );
}"""

# Chart.js draws on DOMContentLoaded (deferred scripts): wait until it holds a chart for the canvas.
WAIT_FOR_CHART = """(canvas) => new Promise((done) => (function wait() {
  window.Chart && Chart.getChart(canvas) ? done() : requestAnimationFrame(wait);
})())"""
CHART_DATA = """(canvas) => {
  const chart = Chart.getChart(canvas);
  return {
    labels: chart.data.labels,
    series: chart.data.datasets.map((set) => set.label),
    first: chart.data.datasets[0].data[0],
  };
}"""


def _four_places(amount: Decimal) -> Decimal:
    """Round as the report keeps money (four decimals); the page then shows cents."""
    return amount.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def winner_figures(days: int) -> dict[str, str]:
    """Return the winner's row as the page must show it over ``days`` whole days of the seed.

    A post's lifetime totals grow linearly, so its growth over ``days`` days is its totals on
    its ``days``-th day; the ad adds its daily values ``days`` times.
    """
    post, ad = post_totals(days, STRENGTH), ad_day(STRENGTH)
    impressions = post["views"] + ad["impressions"] * days
    reach = post["reach"] + ad["reach"] * days
    engagement = post["engagement"] + ad["engagement"] * days
    clicks = post["clicks"] + ad["clicks"] * days
    results = ad["link_clicks"] * days
    spend = ad["spend"] * days

    def money(amount: Decimal) -> str:
        return f"{amount.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,} EUR"

    return {
        "Name": WINNER,
        "Posts and ads": "2",
        "Impressions and views": f"{impressions:,}",
        "Reach (summed)": f"{reach:,}",
        "Engagements": f"{engagement:,}",
        "Engagement rate": f"{engagement / reach * 100:.2f} %",
        "Clicks": f"{clicks:,}",
        "CTR": f"{clicks / impressions * 100:.2f} %",
        "Spend": money(spend),
        "CPC": money(_four_places(spend / clicks)),
        "Results (link clicks)": f"{results:,}",
        "Cost per result": money(_four_places(spend / results)),
    }


def as_shown(cell: str, column: str, currency: str = "") -> str:
    """Return a CSV cell as the page shows it (thousands grouped, percents, money in cents)."""
    if column == "Name":
        return cell
    if column in MONEY:
        amount = Decimal(cell).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        return f"{amount:,} {currency}"
    if column in {"CTR", "Engagement rate"}:
        return f"{float(cell) * 100:.2f} %"
    return f"{int(cell):,}"


def test_compare_a_campaign_switch_the_range_and_download_the_csv(
    page: Page, live_server, editor, tmp_path, csp_violations
):
    if not AXE.exists():
        pytest.fail("axe-core is missing: run `make install` (npm ci)")
    workspace = editor.workspace
    today = reports.today_in(workspace)
    seeded = seed_campaign(
        workspace, start=today - timedelta(days=39), days=40, strengths={(0, 1): STRENGTH}
    )
    campaign, winner = seeded.campaign, seeded.scripts[0]
    found: dict[str, list[str]] = {}
    script_errors: list[str] = []
    page.on("pageerror", lambda error: script_errors.append(str(error)))

    # Results from the sidebar, then the campaign in "Compare a campaign…".
    sign_in(page, live_server.url, editor)
    page.get_by_test_id("nav-results").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Results")
    page.wait_for_load_state("networkidle")
    if violations := axe_violations(page):
        found["overview"] = violations
    page.get_by_test_id("campaign-links").get_by_role("link", name=campaign.name).click()
    expect(page).to_have_url(
        re.compile(rf"/w/acme/results/campaigns/{campaign.pk}/\?range=last_28d$")
    )
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{campaign.name}: results")

    # Both charts are drawn by Chart.js, one bar group per row, with the table's rates.
    for key, labels in (
        ("cohorts-chart", ["Audience 1", "Audience 2"]),
        (
            "variants-chart",
            [WINNER, "Audience 1 · variant 2", "Audience 2 · variant 1", "Audience 2 · variant 2"],
        ),
    ):
        canvas = page.get_by_test_id(f"chart-{key}")
        canvas.evaluate(WAIT_FOR_CHART)
        box = canvas.bounding_box()
        assert box is not None
        assert (box["width"] > 100, box["height"] > 100) == (True, True), (key, box)
        drawn = canvas.evaluate(CHART_DATA)
        assert drawn["labels"] == labels
        assert drawn["series"] == ["CTR (%)", "Engagement rate (%)"]
    assert drawn["first"] == pytest.approx(5.76)  # the winner's CTR, as in its row

    # The winner is marked on its row, and it can be made more of; the posts can be promoted.
    row = page.locator(f"[data-testid=table-variants] tr[data-key='variant-{winner.pk}']")
    expect(row.get_by_test_id("winner")).to_have_text(
        ["Best CTR", "Best Engagement rate", "Best Cost per result", "Best CPC"]
    )
    expect(page.get_by_test_id("table-variants").get_by_test_id("winner")).to_have_count(4)
    expect(row.get_by_test_id("more-like")).to_be_visible()
    promote = page.get_by_test_id("table-posts").get_by_test_id("promote")
    expect(promote).to_have_count(4)  # the four posts; an ad is not promoted again
    expect(promote.first).to_be_visible()
    assert row.evaluate(READ_ROW) == winner_figures(28)
    # For a look after a run: pytest keeps its last few tmp_path directories.
    page.screenshot(path=tmp_path / "results_campaign.png", full_page=True)
    page.wait_for_load_state("networkidle")
    if violations := axe_violations(page):
        found["comparison"] = violations

    # Last 7 days: the select sends the form at once, and the figures are the week's.
    label = page.get_by_test_id("range-label")
    page.get_by_test_id("range-select").select_option(label="Last 7 days")
    expect(page).to_have_url(re.compile(r"\?range=last_7d$"))
    week = reports.Period(today - timedelta(days=6), today)
    expect(label).to_have_text(f"{week.label} · days in Europe/Berlin")
    expect(row.locator("td").nth(1)).to_have_text(winner_figures(7)["Impressions and views"])
    assert row.evaluate(READ_ROW) == winner_figures(7)

    # Dates…: the two date fields appear; five days ending five days ago.
    form = page.get_by_test_id("range-form")
    since_field, until_field = (
        form.get_by_label("From", exact=True),
        form.get_by_label("To", exact=True),
    )
    expect(since_field).to_be_hidden()
    page.get_by_test_id("range-select").select_option(label="Dates…")
    expect(since_field).to_be_visible()
    since, until = today - timedelta(days=9), today - timedelta(days=5)
    since_field.fill(since.isoformat())
    until_field.fill(until.isoformat())
    page.get_by_test_id("range-apply").click()
    expect(page).to_have_url(
        re.compile(rf"\?range=custom&since={since.isoformat()}&until={until.isoformat()}$")
    )
    chosen = reports.Period(since, until)
    expect(label).to_have_text(f"{chosen.label} · days in Europe/Berlin")
    expect(page.get_by_test_id("range-select")).to_have_value("custom")
    expect(row.locator("td").nth(1)).to_have_text(winner_figures(5)["Impressions and views"])
    shown = row.evaluate(READ_ROW)
    assert shown == winner_figures(5)

    # The CSV: the same rows for the same range, in plain numbers.
    with page.expect_download() as info:
        page.get_by_test_id("csv-variants").click()
    download = info.value
    assert download.suggested_filename == (
        f"results-campaign-{campaign.pk}-variants-{since.isoformat()}-{until.isoformat()}.csv"
    )
    path = tmp_path / "variants.csv"
    download.save_as(path)
    with path.open(newline="", encoding="utf-8") as file:
        header, *lines = list(csv.reader(file))
    assert header == CSV_HEADER
    assert [line[0] for line in lines] == [
        WINNER,
        "Audience 1 · variant 2",
        "Audience 2 · variant 1",
        "Audience 2 · variant 2",
    ]
    cells = dict(zip(header, lines[0], strict=True))
    assert {
        column: as_shown(cells[column], column, cells.get(f"{column} currency", ""))
        for column in COLUMNS
    } == shown
    assert cells["Spend"] == "50.0000"

    # Make more like this: new variants from this range's figures, on the campaign's page.
    row.get_by_test_id("more-like").click()
    expect(page).to_have_url(re.compile(rf"/w/acme/campaigns/{campaign.pk}/#studio$"))
    expect(page.get_by_role("alert").filter(has_text="Writing variants like")).to_have_text(
        "Writing variants like variant 1 for Audience 1 started; progress shows below."
    )
    job = GenerationJob.objects.get(script=winner)
    assert (job.kind, job.status) == ("scripts", "queued")
    assert job.params["like"]["results"] == {
        "ctr": "5.7600",
        "engagement_rate": "11.8182",
        "cost_per_result": "0.0741",
        "currency": "EUR",
        "reach": 16_500,
        "range": f"{since.isoformat()}..{until.isoformat()}",
    }

    assert found == {}, "\n".join(
        f"{name}: {line}" for name, lines in found.items() for line in lines
    )
    assert script_errors == []
    assert csp_violations == []
