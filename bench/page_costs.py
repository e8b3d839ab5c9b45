"""Before/after of the page costs removed for #15 item 1, measured side by side in-process.

Each pair runs the old way (the queries and per-row calls the pages made before) and the new
way on the same seeded bench workspace, in one process, medians of 5 runs: the layout shell
(session row and five lookups vs Redis and one membership query), the dashboard's counts and
publishing lists, the calendar's per-row labels and links, the media library's placement
rules, and the membership query built by the ORM each time vs compiled once. Run
``bench.page_latency`` first (it seeds the workspace), then::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/prosocial_bench \\
    REDIS_URL=redis://127.0.0.1:6379/2 DEBUG=0 .venv/bin/python -m bench.page_costs
"""

# ruff: noqa: E402, E731, I001
import json
import os
import statistics
import time
from pathlib import Path

os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
import django

django.setup()
from django.contrib.sessions.models import Session
from django.contrib.sessions.backends.cached_db import SessionStore
from django.urls import reverse
from django.utils import timezone
from accounts.models import User, Workspace, Membership
from accounts import selectors as acc
from publishing import selectors as pub
from publishing.models import Publication
from meta_integration.selectors import list_connections_needing_attention
from creatives.library.models import MediaAsset
from creatives.library import selectors as lib
from creatives.library.media.specs import fitting_placements
from creatives.library.views import _fitting_placements

owner = User.objects.get(email="bench-owner@bench.example.com")
ws = Workspace.objects.get(created_by=owner, name__contains="(200 members)")
m_old = lambda: (
    Membership.objects.select_related("workspace", "user")
    .filter(workspace__slug=ws.slug)
    .filter(user=owner)
    .first()
)
store = SessionStore()
store["x"] = 1
store.create()
key = store.session_key


def t(f, n=150):
    for _ in range(10):
        f()
    runs = []
    for _round in range(5):
        s = time.perf_counter()
        for _ in range(n):
            f()
        runs.append((time.perf_counter() - s) / n * 1000)
    return round(statistics.median(runs), 3)


m = m_old()
res = {}


# 1. the shell: session row + membership + switcher + bell + waiting + meta notice, vs cached session + one query
def shell_before():
    Session.objects.filter(session_key=key, expire_date__gt=timezone.now()).first()
    mm = m_old()
    list(acc.list_memberships_for_user(owner))
    acc.count_unread_notifications(mm)
    pub.count_waiting_for_member(mm)
    list_connections_needing_attention(mm)


def shell_after():
    SessionStore(key).load()
    acc.get_membership_for_user(owner, ws.slug)


res["shell: session + membership + switcher + bell + waiting + meta (6 queries -> Redis + 1)"] = (
    t(shell_before),
    t(shell_after),
)


# 2. dashboard data: member count, invitations, 4 publishing lists (+count) vs 1 + 1
def dash_before():
    acc.count_members(m)
    acc.list_pending_invitations_for_workspace(m).filter(status="pending").count()
    rows = pub.list_waiting_for_member(m)
    items = list(rows[:5])
    rows.count() if len(items) == 5 else 0
    pub.list_scheduled_next(m)
    pub.list_recent_failures(m)
    pub.list_recent_results(m, now=timezone.now())


def dash_after():
    acc.count_members_and_pending_invitations(m)
    pub.dashboard_publishing(m)


res["dashboard: member/invitation counts + publishing panel lists (6-7 queries -> 2)"] = (
    t(dash_before),
    t(dash_after),
)
# 3. per-row work on a page of rows
pubs = list(Publication.objects.filter(workspace=ws)[:200])
assets = list(MediaAsset.objects.filter(workspace=ws)[:24])


def rows_before():
    for p in pubs:
        p.get_target_display()
        p.get_status_display()
        reverse("publishing:detail", args=[ws.slug, p.pk])
        reverse("publishing:reschedule", args=[ws.slug, p.pk])


def rows_after():
    from publishing.views import _label_rows

    _label_rows(m, pubs)


res["calendar month, 200 rows: labels + 2 links per row"] = (t(rows_before, 20), t(rows_after, 20))


def fits_before():
    for a in assets:
        fitting_placements(lib.facts_for_asset(a))


def fits_after():
    for a in assets:
        _fitting_placements(lib.facts_for_asset(a))


res["media library, 24 cards: placement fit rules"] = (t(fits_before, 50), t(fits_after, 50))
from django.db.models import Case, When, Q, IntegerField


def built_each_time():
    here = Q(workspace__slug=ws.slug)
    counts = acc._layout_counts()
    list(
        acc.list_memberships_for_user(owner).annotate(
            **{
                n: Case(When(here, then=e), default=None, output_field=IntegerField())
                for n, e in counts.items()
            }
        )
    )


res["membership query alone: ORM-built each time vs compiled once"] = (
    t(built_each_time),
    t(lambda: acc.get_membership_for_user(owner, ws.slug)),
)
res["_loadavg"] = os.getloadavg()
print(json.dumps(res, indent=1))
Path(__file__).with_name("results").joinpath("page_costs.json").write_text(
    json.dumps(res, indent=1) + "\n", encoding="utf-8"
)
Session.objects.filter(session_key=key).delete()
