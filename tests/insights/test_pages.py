"""The results pages: the overview, a publication's results, a campaign's comparison, and CSV.

The data is ``results_data.seed_campaign``'s: two audiences of two variants, each variant with
one Facebook post and one ad over the last 7 days; variant 1 of audience 1 is three times as
strong. The figures asserted are worked out by hand from that module's formulas.
"""

import csv
import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from creatives.studio.forms import MoreLikeForm
from creatives.studio.models import GenerationJob
from insights import reports
from insights.models import Availability, InsightObject, InsightSnapshot, ObjectKind
from prosocial import kept as kept_pages
from publishing.models import Publication, Target
from tests.conftest import client_for
from tests.insights.results_data import seed_campaign

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(workspace):
    today = reports.today_in(workspace)
    return seed_campaign(workspace, start=today - timedelta(days=6), days=7, strengths={(0, 1): 3})


def _campaign_url(seeded, query=""):
    url = reverse("insights:campaign", args=["acme", seeded.campaign.pk])
    return f"{url}?{query}" if query else url


def _rows(response, table):
    report = response.context["report"]
    return {row["label"]: row for row in report.tables[table].rows}


# --- the campaign comparison ---------------------------------------------------------------------


def test_a_variant_adds_up_its_posts_growth_and_its_ads_days(seeded, editor):
    response = client_for(editor).get(_campaign_url(seeded))

    assert response.status_code == 200
    strong = _rows(response, "variants")["Audience 1 · variant 1"]
    # Post over 7 days (strength 3): views 21,000, reach 12,600, engagement 1,890, clicks 756.
    # Ad over 7 days: impressions 14,000, reach 10,500, clicks 1,260, link clicks 945, €70.
    assert strong["impressions"] == 35_000
    assert strong["reach"] == 23_100
    assert strong["engagement"] == 2_730
    assert strong["clicks"] == 2_016
    assert strong["results"] == 945
    assert strong["spend"] == Decimal("70.0000")
    assert strong["currency"] == "EUR"
    assert strong["ctr"] == pytest.approx(2016 / 35000)
    assert strong["cost_per_result"] == Decimal("0.0741")
    weak = _rows(response, "variants")["Audience 2 · variant 2"]
    assert (weak["impressions"], weak["clicks"], weak["results"]) == (21_000, 224, 105)


def test_the_ad_campaign_object_is_not_counted_on_top_of_its_ad(seeded, editor):
    assert InsightObject.objects.filter(kind=ObjectKind.CAMPAIGN).count() == 4

    response = client_for(editor).get(_campaign_url(seeded))

    cohort = _rows(response, "cohorts")["Audience 2"]
    assert cohort["spend"] == Decimal("140.0000")  # two ads at €10 a day for 7 days
    assert cohort["posts"] == 4


def test_the_clear_winner_is_marked_and_offers_more_like_it(seeded, editor):
    response = client_for(editor).get(_campaign_url(seeded))

    html = response.content.decode()
    strong = _rows(response, "variants")["Audience 1 · variant 1"]
    assert strong["wins"] == ["CTR", "Engagement rate", "Cost per result", "CPC"]
    assert _rows(response, "variants")["Audience 1 · variant 2"]["wins"] == []
    assert html.count('data-testid="winner"') == 4 + 4  # the variant, and its audience
    assert "Audience 1 · variant 1 is ahead beyond noise." in html
    form = MoreLikeForm(strong["more_like"])
    assert form.is_valid(), form.errors
    assert form.results() == {
        "ctr": Decimal("5.7600"),
        "cost_per_result": Decimal("0.0741"),
        "currency": "EUR",
        "reach": 23_100,
        "engagement_rate": Decimal("11.8182"),
        "range": strong["more_like"]["range"],
    }
    script = seeded.scripts[0]
    assert reverse("creatives:more_like", args=["acme", script.pk]) in html


def test_equal_variants_are_within_noise_and_nobody_wins(workspace, editor):
    today = reports.today_in(workspace)
    seeded = seed_campaign(workspace, start=today - timedelta(days=6), days=7)

    response = client_for(editor).get(_campaign_url(seeded))

    assert 'data-testid="winner"' not in response.content.decode()
    verdicts = response.context["report"].variant_verdicts
    assert verdicts["ctr"].winner is None
    assert verdicts["ctr"].reason == "Within noise: no clear winner yet."


def test_a_viewer_sees_the_comparison_without_buttons(seeded, viewer):
    response = client_for(viewer).get(_campaign_url(seeded))

    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="winner"' in html
    assert 'data-testid="more-like"' not in html
    assert 'data-testid="promote"' not in html
    assert 'data-testid="refresh-now"' not in html


def test_a_published_post_in_the_comparison_can_be_promoted(seeded, editor):
    response = client_for(editor).get(_campaign_url(seeded))

    html = response.content.decode()
    post = seeded.posts[0]
    assert f"/w/acme/publish/new/?promote={post.pk}" in html
    assert f"/w/acme/publish/new/?promote={seeded.ads[0].pk}" not in html  # an ad isn't a post


def test_make_more_like_this_starts_from_the_comparison(seeded, editor):
    script = seeded.scripts[0]
    response = client_for(editor).get(_campaign_url(seeded))
    fields = _rows(response, "variants")["Audience 1 · variant 1"]["more_like"]

    posted = client_for(editor).post(
        reverse("creatives:more_like", args=["acme", script.pk]), fields
    )

    # The studio queues the writing (its offline provider without an OpenAI key) with the
    # winner's figures as the comparison gave them.
    assert posted.status_code == 302, posted.content.decode()[:500]
    job = GenerationJob.objects.get(script=script)
    assert (job.kind, job.status) == ("scripts", "queued")
    assert job.params["like"]["results"]["ctr"] == "5.7600"
    assert job.params["like"]["results"]["currency"] == "EUR"


# --- ranges -------------------------------------------------------------------------------------


def test_switching_the_range_changes_the_figures(seeded, editor, workspace):
    today = reports.today_in(workspace)
    since = (today - timedelta(days=2)).isoformat()
    query = f"range=custom&since={since}&until={today.isoformat()}"

    response = client_for(editor).get(_campaign_url(seeded, query))

    strong = _rows(response, "variants")["Audience 1 · variant 1"]
    # 3 days of the ad (6,000 impressions) and the post's growth over days 5 to 7 (9,000 views).
    assert strong["impressions"] == 6_000 + 9_000
    assert strong["spend"] == Decimal("30.0000")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("range=custom&since=2026-05-01", "Give both dates, or choose a preset range."),
        ("range=custom&since=2026-05-09&until=2026-05-01", "The first date must not be after"),
        ("range=custom&since=2001-01-01&until=2001-02-01", "Results are kept two years"),
        ("range=custom&since=nonsense&until=2026-05-01", "Enter a valid date."),
        ("range=forever", "Select a valid choice."),
    ],
)
def test_a_bad_range_is_explained_and_the_default_shown(seeded, editor, query, message):
    response = client_for(editor).get(_campaign_url(seeded, query))

    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-testid="range-error"' in html
    assert message in html
    assert response.context["report"].period.preset == "last_28d"


def test_a_range_ending_in_the_future_is_refused(seeded, editor, workspace):
    tomorrow = reports.today_in(workspace) + timedelta(days=1)
    query = f"range=custom&since={tomorrow.isoformat()}&until={tomorrow.isoformat()}"

    response = client_for(editor).get(_campaign_url(seeded, query))

    assert response.status_code == 400
    assert "The range can&#x27;t end after today." in response.content.decode()


# --- CSV ----------------------------------------------------------------------------------------


def _csv(response):
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_every_table_downloads_as_csv_with_the_page_figures(seeded, viewer):
    url = reverse("insights:campaign_csv", args=["acme", seeded.campaign.pk, "variants"])

    response = client_for(viewer).get(f"{url}?range=last_7d")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith(
        f'attachment; filename="results-campaign-{seeded.campaign.pk}-variants-'
    )
    header, *rows = _csv(response)
    assert header[:3] == ["Name", "Posts and ads", "Impressions and views"]
    assert "Spend currency" in header
    strong = next(row for row in rows if row[0] == "Audience 1 · variant 1")
    assert strong[header.index("Impressions and views")] == "35000"
    assert strong[header.index("Spend")] == "70.0000"
    assert strong[header.index("Spend currency")] == "EUR"
    assert strong[header.index("CTR")] == "0.0576"


def test_a_title_that_looks_like_a_formula_is_quoted_in_the_csv(seeded, viewer):
    post = seeded.posts[0]
    post.title = '=HYPERLINK("http://evil.example","x")'
    post.save(update_fields=["title"])
    url = reverse("insights:campaign_csv", args=["acme", seeded.campaign.pk, "posts"])

    rows = _csv(client_for(viewer).get(url))

    titles = [row[0] for row in rows[1:]]
    assert '\'=HYPERLINK("http://evil.example","x")' in titles


def test_an_unknown_table_is_a_404(seeded, viewer):
    url = reverse("insights:campaign_csv", args=["acme", seeded.campaign.pk, "secrets"])

    assert client_for(viewer).get(url).status_code == 404


# --- the overview -------------------------------------------------------------------------------


def test_the_overview_shows_the_posts_growth_and_each_currency(seeded, workspace, viewer):
    # A second ad account in dollars: its spend is shown on its own, never added to euros.
    objects = [
        InsightObject(
            workspace=workspace,
            kind=ObjectKind.AD_ACCOUNT,
            meta_id=meta_id,
            account_meta_id=meta_id,
            currency=currency,
        )
        for meta_id, currency in (("act_eur", "EUR"), ("act_usd", "USD"))
    ]
    InsightObject.objects.bulk_create(objects)
    today = reports.today_in(workspace)
    for obj in InsightObject.objects.filter(kind=ObjectKind.AD_ACCOUNT):
        InsightSnapshot.objects.create(
            workspace=workspace,
            source=obj,
            metric_set=InsightSnapshot.MetricSet.DAILY,
            day=today,
            fetched_at=obj.created_at,
            spend=Decimal("12.5000"),
            link_clicks=7,
            currency=obj.currency,
        )

    response = client_for(viewer).get(reverse("insights:overview", args=["acme"]))

    assert response.status_code == 200
    html = response.content.decode()
    # Four posts at strengths 3, 1, 1, 1: 7,000 views a strength over the week.
    assert 'data-testid="tile-views">42,000<' in html
    assert 'data-testid="tile-spend-eur">12.50 EUR<' in html
    assert 'data-testid="tile-spend-usd">12.50 USD<' in html
    assert 'data-testid="tile-link-clicks">14<' in html
    assert 'data-testid="chart-posts-chart"' in html
    assert 'data-testid="chart-ads-chart-usd"' in html
    assert f"/w/acme/results/campaigns/{seeded.campaign.pk}/" in html


def test_the_overview_says_where_results_come_from_before_there_are_any(owner):
    response = client_for(owner).get(reverse("insights:overview", args=["acme"]))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="results-empty"' in html
    assert '/meta/">Connect Meta</a> to read results.' in html
    assert 'data-testid="refresh-now"' not in html


def test_numbers_meta_did_not_give_are_shown_as_missing_with_the_reason(seeded, workspace, viewer):
    post = seeded.posts[1]
    InsightObject.objects.filter(publication=post, kind=ObjectKind.FB_POST).update(
        state=InsightObject.State.UNAVAILABLE,
        availability=Availability.PERMISSION_MISSING,
        last_error="Tick read_insights when you reconnect.",
    )

    response = client_for(viewer).get(reverse("insights:overview", args=["acme"]))

    html = response.content.decode()
    assert 'data-testid="problems"' in html
    assert f"Facebook Page post “{post.title}”: A Meta permission is missing." in html
    assert "Reconnect Meta" in html


# --- one publication ----------------------------------------------------------------------------


def test_a_post_shows_its_totals_as_read_and_its_growth(seeded, editor):
    post = seeded.posts[0]

    response = client_for(editor).get(reverse("insights:publication", args=["acme", post.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="tile-views">21,000<' in html
    rows = response.context["report"].tables["totals"].rows
    assert [row["views"] for row in rows] == [3000 * n for n in range(1, 8)]
    assert f"/w/acme/publish/new/?promote={post.pk}" in html


def test_an_ad_shows_its_days_and_ctr(seeded, viewer):
    ad = seeded.ads[0]

    response = client_for(viewer).get(reverse("insights:publication", args=["acme", ad.pk]))

    html = response.content.decode()
    assert 'data-testid="tile-spend">70.00 EUR<' in html
    assert 'data-testid="tile-ctr">9.00 %<' in html  # 180 clicks of 2,000 impressions a day
    assert len(response.context["report"].tables["ad-days"].rows) == 7


def test_a_publication_not_measured_yet_says_when_it_will_be(workspace, editor):
    draft = Publication.objects.create(workspace=workspace, title="Draft", target=Target.FB_POST)

    response = client_for(editor).get(reverse("insights:publication", args=["acme", draft.pk]))

    assert response.status_code == 200
    assert "Results appear once it is published." in response.content.decode()


# --- tenancy ------------------------------------------------------------------------------------


def test_another_workspaces_results_are_404(seeded, outsider):
    client = client_for(outsider)
    urls = [
        reverse("insights:overview", args=["acme"]),
        reverse("insights:campaign", args=["rival", seeded.campaign.pk]),
        reverse("insights:publication", args=["rival", seeded.posts[0].pk]),
        reverse("insights:campaign_csv", args=["rival", seeded.campaign.pk, "variants"]),
        reverse("insights:publication_csv", args=["rival", seeded.ads[0].pk, "ad-days"]),
    ]

    assert [client.get(url).status_code for url in urls] == [404] * len(urls)


def test_the_sidebar_leads_to_results(seeded, viewer):
    response = client_for(viewer).get(reverse("accounts:dashboard", args=["acme"]))

    assert 'href="/w/acme/results/" data-testid="nav-results"' in response.content.decode()


def test_a_rate_counts_only_the_objects_that_report_both_of_its_parts():
    group = reports.Group(key="variant-1", label="Variant 1")
    instagram = dict.fromkeys(reports.FLOW_METRICS)
    instagram.update(views=9_000, reach=4_000, engagement=400)  # Instagram reports no clicks
    ad = dict.fromkeys(reports.FLOW_METRICS)
    ad.update(impressions=1_000, reach=800, clicks=50, spend=Decimal(10))  # nor engagements

    group.add(instagram, "")
    group.add(ad, "EUR")

    row = reports.comparison_row(group)
    assert (row["impressions"], row["reach"]) == (10_000, 4_800)  # shown: everything
    assert row["ctr"] == pytest.approx(50 / 1_000)  # not 50 of 10,000
    assert row["engagement_rate"] == pytest.approx(400 / 4_000)  # not 400 of 4,800


def test_a_kept_report_gives_way_to_new_numbers_and_new_names(seeded, editor):
    client = client_for(editor)
    assert (
        _rows(client.get(_campaign_url(seeded)), "variants")["Audience 2 · variant 2"]["results"]
        == 105
    )

    # A refresh stores a day's new numbers and moves its object's updated_at (collect does both
    # in one transaction); a publication is renamed.
    ad = seeded.ads[-1]
    source = InsightObject.objects.get(publication=ad, kind=ObjectKind.AD)
    last_day = InsightSnapshot.objects.filter(source=source).latest("day").day
    InsightSnapshot.objects.filter(source=source, day=last_day).update(link_clicks=115)
    source.save(update_fields=["updated_at"])
    post = seeded.posts[-1]
    post.title = "Renamed post"
    post.save(update_fields=["title", "updated_at"])

    response = client.get(_campaign_url(seeded))

    assert _rows(response, "variants")["Audience 2 · variant 2"]["results"] == 105 + 100
    assert "Renamed post" in response.content.decode()


def test_names_in_the_tables_are_escaped(seeded, viewer):
    cohort = seeded.cohorts[0]
    cohort.name = '<img src=x onerror="alert(1)">'
    cohort.save(update_fields=["name", "updated_at"])

    html = client_for(viewer).get(_campaign_url(seeded)).content.decode()

    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html  # the Audience column too


@pytest.mark.parametrize(
    ("state", "availability", "shown"),
    [
        ("gone", Availability.DELETED, "Deleted on Facebook or Instagram"),
        (
            "unavailable",
            Availability.NOT_ENOUGH_VIEWERS,
            "Too few viewers for Meta to show numbers",
        ),
        ("unavailable", Availability.PERMISSION_MISSING, "A Meta permission is missing"),
        ("failing", Availability.NO_DATA, "Reading its numbers failed; ProSocial tries again"),
    ],
)
def test_a_post_meta_has_no_numbers_for_says_why_and_keeps_what_was_read(
    seeded, viewer, state, availability, shown
):
    post = seeded.posts[0]
    InsightObject.objects.filter(publication=post).update(
        state=state, availability=availability, last_error="As Meta said it."
    )

    response = client_for(viewer).get(reverse("insights:publication", args=["acme", post.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert f"Facebook Page post “{post.title}”: {shown}" in html
    assert "As Meta said it." in html
    assert 'data-testid="tile-views">21,000<' in html  # the numbers read before stay


def test_a_kept_page_carries_each_response_its_own_csrf_token_and_each_role_its_buttons(
    seeded, editor, viewer
):
    url = _campaign_url(seeded)
    assert 'data-testid="more-like"' in client_for(editor).get(url).content.decode()  # built
    assert 'data-testid="more-like"' not in client_for(viewer).get(url).content.decode()
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(editor.user)

    kept = browser.get(url).content.decode()  # the body kept for editors

    form = re.search(r'<form method="post" action="([^"]+)">(.*?)</form>', kept, re.S)
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', form.group(2)))
    assert browser.post(form.group(1), fields).status_code == 302  # the token is valid


def test_kept_pages_are_keyed_by_the_code_that_shapes_them(tmp_path, settings, monkeypatch):
    (tmp_path / "templates").mkdir()
    page = tmp_path / "templates" / "page.html"
    page.write_text("<td>")
    settings.BASE_DIR = tmp_path
    monkeypatch.setattr(kept_pages, "SHAPING_GLOBS", ("templates/**/*.html",))
    kept_pages.code_version.cache_clear()
    before = kept_pages.code_version()

    page.write_text('<td class="text">')  # a deploy changes the markup
    kept_pages.code_version.cache_clear()  # a new process

    assert kept_pages.code_version() != before
    kept_pages.code_version.cache_clear()


def test_a_renamed_campaign_shows_its_new_name_on_a_kept_page(seeded, viewer):
    client = client_for(viewer)
    assert "<h1>Autumn launch: results</h1>" in client.get(_campaign_url(seeded)).content.decode()
    seeded.campaign.name = "Winter launch"
    seeded.campaign.save(update_fields=["name", "updated_at"])

    assert "<h1>Winter launch: results</h1>" in client.get(_campaign_url(seeded)).content.decode()
