"""``results_for_workspace``: daily series per metric for a workspace and range, grouped by object.

Its query count does not grow with the data: two queries for five posts over a week and for
sixty posts and ads over three months. Another workspace's numbers never appear.
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from insights.models import Availability, InsightObject, InsightSnapshot, ObjectKind
from insights.selectors import results_for_workspace
from publishing.models import Publication, Target

START = date(2026, 1, 1)
LIFETIME = InsightSnapshot.MetricSet.LIFETIME
DAILY = InsightSnapshot.MetricSet.DAILY


def seed_results(workspace, *, posts: int, ads: int, days: int) -> None:
    """Posts with lifetime totals and ads with daily spend, ``days`` days each (bulk rows)."""
    made = []
    for number in range(posts + ads):
        is_ad = number >= posts
        publication = Publication.objects.create(
            workspace=workspace,
            title=f"P{number}",
            target=Target.META_AD if is_ad else Target.FB_POST,
            status=Publication.Status.PUBLISHED,
            remote_id=f"{workspace.pk}_{number}",
        )
        made.append(
            InsightObject(
                workspace=workspace,
                kind=ObjectKind.AD if is_ad else ObjectKind.FB_POST,
                meta_id=publication.remote_id,
                account_meta_id="act_1" if is_ad else "104",
                publication=publication,
                currency="USD" if is_ad else "",
            )
        )
    objects = InsightObject.objects.bulk_create(made)
    rows = []
    for obj in objects:
        is_ad = obj.kind == ObjectKind.AD
        for offset in range(days):
            day = START + timedelta(days=offset)
            rows.append(
                InsightSnapshot(
                    workspace=workspace,
                    source=obj,
                    metric_set=DAILY if is_ad else LIFETIME,
                    day=day,
                    fetched_at=timezone.now(),
                    views=None if is_ad else 100 * (offset + 1),
                    reach=50 * (offset + 1),
                    spend=Decimal("12.5000") if is_ad else None,
                    currency="USD" if is_ad else "",
                )
            )
    InsightSnapshot.objects.bulk_create(rows, batch_size=2000)


@pytest.mark.parametrize(("posts", "ads", "days"), [(5, 0, 7), (40, 20, 90)])
def test_the_query_count_does_not_grow_with_the_data(
    workspace, other_workspace, django_assert_num_queries, posts, ads, days
):
    seed_results(workspace, posts=posts, ads=ads, days=days)
    seed_results(other_workspace, posts=2, ads=1, days=3)

    with django_assert_num_queries(2):
        results = results_for_workspace(
            workspace, since=START, until=START + timedelta(days=days - 1)
        )
        titles = [result.object.publication.title for result in results]

    assert len(results) == posts + ads
    assert titles == [f"P{n}" for n in range(posts + ads)]
    assert {r.object.workspace_id for r in results} == {workspace.pk}
    first = results[0]
    assert first.cumulative is True
    assert first.series["views"][:2] == [(START, 100), (START + timedelta(days=1), 200)]
    assert len(first.series["reach"]) == days
    assert "spend" not in first.series  # no number: absent, not zero
    if ads:
        ad = results[-1]
        assert (ad.cumulative, ad.currency) == (False, "USD")
        assert ad.series["spend"][0] == (START, Decimal("12.5000"))
        assert ad.latest("reach") == 50 * days


def test_a_range_kinds_and_metrics_narrow_the_read(workspace):
    seed_results(workspace, posts=2, ads=2, days=10)

    results = results_for_workspace(
        workspace,
        since=START + timedelta(days=3),
        until=START + timedelta(days=4),
        kinds=[ObjectKind.AD],
        metrics=["spend", "not_a_column"],
    )

    assert [r.object.kind for r in results] == ["ad", "ad"]
    assert results[0].series == {
        "spend": [
            (START + timedelta(days=3), Decimal("12.5000")),
            (START + timedelta(days=4), Decimal("12.5000")),
        ]
    }


def test_one_publications_results(workspace, django_assert_num_queries):
    seed_results(workspace, posts=3, ads=1, days=5)
    wanted = Publication.objects.get(workspace=workspace, title="P3")

    with django_assert_num_queries(2):
        [result] = results_for_workspace(
            workspace, since=START, until=START + timedelta(days=4), publication_ids=[wanted.pk]
        )

    assert (result.object.publication_id, result.object.kind) == (wanted.pk, "ad")
    assert len(result.series["spend"]) == 5


def test_unavailable_days_say_why_instead_of_a_zero(workspace):
    seed_results(workspace, posts=1, ads=0, days=2)
    source = InsightObject.objects.get()
    InsightSnapshot.objects.create(
        workspace=workspace,
        source=source,
        metric_set=LIFETIME,
        day=START + timedelta(days=2),
        fetched_at=timezone.now(),
        availability=Availability.DELETED,
    )

    [result] = results_for_workspace(workspace, since=START, until=START + timedelta(days=2))

    assert result.unavailable == {START + timedelta(days=2): "deleted"}
    assert [day for day, _value in result.series["views"]] == [START, START + timedelta(days=1)]
