"""The results pages and their CSVs run as many queries for a week of four posts as for months.

The data is ``results_data.seed_campaign``'s, in two sizes: 2 audiences x 2 variants, each with
one Facebook post and one ad, over 7 days; and 3 audiences x 4 variants, each with three posts
and two ads, over 60 days (84 measured objects, 5,040 snapshots). Both are read over the last
90 days, so every snapshot counts. Each count is pinned exactly; it must not grow with the data.

Every workspace page starts with two queries: the signed-in user, and one membership query
carrying the workspace and the layout's counts. The session comes from Redis (``cached_db``)
once a first page has warmed it, so it costs none.

A report is built once per change of what it reads and kept in the cache
(``reports.cached_report``): a page checks that nothing changed with one query (the page state), then builds the report (the counts marked *built*) or reuses it (*kept*).
"""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.urls import reverse

from insights import reports
from tests.conftest import client_for
from tests.insights.results_data import seed_campaign

pytestmark = pytest.mark.django_db

SIZES = {
    "small": {"cohorts": 2, "variants": 2, "posts": 1, "ads": 1, "days": 7},
    "large": {"cohorts": 3, "variants": 4, "posts": 3, "ads": 2, "days": 60},
}
SHELL = 1  # the user and the membership with everything the layout shows, in one query
REPORT = 3  # the snapshots of the range; their objects with publications and accounts; problems
# the campaign; its variants with audiences; its creatives' files; the publications carrying
# those files; those publications (and their promotions). The workspace is the member's.
CAMPAIGN = 5
# the publication; its promotions; its measured objects
PUBLICATION = 3
# The page state: whether anything the page shows changed since it was built, and whether a
# Meta connection can refresh (results.js asks for the latest refresh itself).
STATE = 1
LOOKUP = 1  # the publication the page is about (the campaign's name is in the page state)
AROUND = {
    "overview": 0,
    "overview_csv": 0,
    "campaign": 0,
    "campaign_csv": 0,
    "publication_post": LOOKUP,
    "publication_ad": LOOKUP,
    "publication_csv": LOOKUP,
}
# Building the report: the campaign's own queries, then its posts' and ads' snapshots and
# objects; the publication's promotions and objects, then their numbers; the
# overview's page lists the first 12 campaigns (its links to their comparisons).
BUILD = {
    "overview": REPORT + 1,
    "overview_csv": REPORT,
    "campaign": CAMPAIGN + 2,
    "campaign_csv": CAMPAIGN + 2,
    "publication_post": PUBLICATION - LOOKUP + 2,
    "publication_ad": PUBLICATION - LOOKUP + 2,
    "publication_csv": PUBLICATION - LOOKUP + 2,
}
QUERIES = {page: SHELL + STATE + AROUND[page] + BUILD[page] for page in AROUND}
KEPT = {page: SHELL + STATE + AROUND[page] for page in AROUND}


def _figures(page, response):
    """Return what the page shows, less its CSRF tokens and CSP nonce (new on every response)."""
    html = response.content.decode()
    html = re.sub(r'nonce="[^"]+"', 'nonce="…"', html)
    return re.sub(r'(value="|"X-CSRFToken": ")[A-Za-z0-9]{64}"', r"\1…", html)


def _seed(workspace, size):
    shape = dict(SIZES[size])
    days = shape.pop("days")
    start = reports.today_in(workspace) - timedelta(days=days - 1)
    return seed_campaign(workspace, start=start, days=days, **shape), shape, days


def _url(page, seeded):
    campaign, post, ad = seeded.campaign.pk, seeded.posts[-1].pk, seeded.ads[-1].pk
    url = {
        "overview": reverse("insights:overview", args=["acme"]),
        "overview_csv": reverse("insights:overview_csv", args=["acme", "posts"]),
        "campaign": reverse("insights:campaign", args=["acme", campaign]),
        "campaign_csv": reverse("insights:campaign_csv", args=["acme", campaign, "posts"]),
        "publication_post": reverse("insights:publication", args=["acme", post]),
        "publication_ad": reverse("insights:publication", args=["acme", ad]),
        "publication_csv": reverse("insights:publication_csv", args=["acme", ad, "ad-days"]),
    }[page]
    return f"{url}?range=last_90d"


def _shown_rows(page, response):
    """Return how many rows the page's main table (or the CSV) holds."""
    if page.endswith("_csv"):
        return len(list(csv.reader(io.StringIO(response.content.decode())))) - 1
    table = {"overview": "posts", "campaign": "variants"}.get(page)
    tables = response.context["report"].tables
    return (
        len(tables[table].rows) if table else len(tables["totals"].rows or tables["ad-days"].rows)
    )


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("page", list(QUERIES))
def test_a_results_page_runs_the_same_queries_for_little_data_and_for_months(
    page, size, owner, workspace, django_assert_num_queries
):
    seeded, shape, days = _seed(workspace, size)
    client = client_for(owner)
    url = _url(page, seeded)
    assert client.get(reverse("accounts:dashboard", args=["acme"])).status_code == 200  # session

    with django_assert_num_queries(QUERIES[page]):
        response = client.get(url)
    with django_assert_num_queries(KEPT[page]):
        kept = client.get(url)

    assert _figures(page, kept) == _figures(page, response)
    assert response.status_code == 200
    variants = shape["cohorts"] * shape["variants"]
    expected_rows = {
        "overview": variants * shape["posts"],  # every post, none of the ads
        "overview_csv": variants * shape["posts"],
        "campaign": variants,
        "campaign_csv": variants * (shape["posts"] + shape["ads"]),  # every one of them
        "publication_post": days,  # its totals as read each day
        "publication_ad": days,  # its days
        "publication_csv": days,
    }[page]
    assert _shown_rows(page, response) == expected_rows
