"""Reads of collected results, scoped to a workspace (STYLE §3.4).

``results_for_workspace`` is what the results pages chart: every measured object with numbers
in a date range, and per metric its day-by-day series. It makes two queries whatever the
amount of data (the snapshots of the range, on the ``(workspace, day)`` index, then their
objects with their publications), so a year of daily data for hundreds of posts and ads costs
the same number of queries as a week for five.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.http import Http404

from accounts.models import Membership, Workspace
from insights.models import (
    METRIC_FIELDS,
    Availability,
    InsightObject,
    InsightSnapshot,
    RefreshRun,
)

Value = int | Decimal


@dataclass
class ObjectResults:
    """One object's numbers over a range: per metric, (day, value) for each day Meta gave one.

    ``cumulative`` is True for a post's lifetime totals (each day holds the total so far; the
    day's own growth is the difference with the day before); else each day holds that day's
    value. ``unavailable`` names the days Meta gave no numbers, and why (never a zero).
    """

    object: InsightObject
    metric_set: str
    series: dict[str, list[tuple[date, Value]]] = field(default_factory=dict)
    unavailable: dict[date, str] = field(default_factory=dict)
    currency: str = ""

    @property
    def cumulative(self) -> bool:
        return self.metric_set == InsightSnapshot.MetricSet.LIFETIME

    def latest(self, metric: str) -> Value | None:
        points = self.series.get(metric)
        return points[-1][1] if points else None


def results_for_workspace(
    workspace: Workspace,
    *,
    since: date,
    until: date,
    kinds: Iterable[str] | None = None,
    publication_ids: Iterable[int] | None = None,
    metrics: Iterable[str] = METRIC_FIELDS,
) -> list[ObjectResults]:
    """Return every object's daily series in ``[since, until]``, grouped by object (2 queries).

    ``kinds`` limits the object kinds, ``publication_ids`` the objects to those publications'
    (a post, or an ad's campaign, ad set and ad); ``metrics`` the columns read (snapshot field
    names). Objects come in the order they were first measured.
    """
    names = [name for name in metrics if name in METRIC_FIELDS]
    rows = InsightSnapshot.objects.filter(workspace=workspace, day__gte=since, day__lte=until)
    if kinds is not None:
        rows = rows.filter(source__kind__in=list(kinds))
    if publication_ids is not None:
        rows = rows.filter(source__publication_id__in=list(publication_ids))
    # Rows are grouped first, then each metric's series is one comprehension over its rows:
    # a loop per row and metric was most of a year-long page's time (bench/results_pages.py).
    grouped: dict[tuple[int, str], list[tuple[Any, ...]]] = {}
    columns = ["source_id", "metric_set", "day", "availability", "currency", *names]
    for values in rows.order_by("source_id", "metric_set", "day").values_list(*columns):
        grouped.setdefault((values[0], values[1]), []).append(values)
    by_object: dict[int, list[ObjectResults]] = defaultdict(list)
    for (source_id, metric_set), group in grouped.items():
        result = ObjectResults(object=InsightObject(pk=source_id), metric_set=metric_set)
        by_object[source_id].append(result)
        measured = []
        for values in group:
            if values[3] != Availability.OK:
                result.unavailable[values[2]] = values[3]
            else:
                measured.append(values)
                result.currency = values[4] or result.currency
        for index, name in enumerate(names, start=5):
            points = [
                (values[2], values[index]) for values in measured if values[index] is not None
            ]
            if points:
                result.series[name] = points
    objects = InsightObject.objects.filter(pk__in=list(by_object)).select_related(
        "publication", "page", "instagram_account", "ad_account"
    )
    for obj in objects.order_by("pk"):
        for result in by_object[obj.pk]:
            result.object = obj
    return [result for pk in sorted(by_object) for result in by_object[pk]]


def get_run_for_member(membership: Membership, pk: int) -> RefreshRun:
    """Return the refresh run ``pk`` of the member's workspace; 404 for any other."""
    run = RefreshRun.objects.filter(workspace_id=membership.workspace_id, pk=pk).first()
    if run is None:
        raise Http404("No such refresh.")
    return run


def latest_run_for_workspace(workspace: Workspace) -> RefreshRun | None:
    """Return the workspace's most recent refresh run (running or finished), if any."""
    return RefreshRun.objects.for_workspace(workspace).order_by("-created_at", "-pk").first()
