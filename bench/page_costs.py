"""Before/after of the page costs removed for #15 item 1, measured side by side in-process.

Each pair runs the old way (the queries and per-row calls the pages made before) and the new
way on the same seeded bench workspace, in one process, medians of 5 runs: the layout shell
(session row and five lookups vs Redis and one membership query), the dashboard's counts and
publishing lists, the calendar's per-row labels and links, the media library's placement
rules, and the membership query built by the ORM each time vs compiled once. The second pass
(the layout shell every workspace page pays) adds: the membership query built by the ORM
(counts compiled once) vs SQL written once per process, the layout rendered with its 25
``{% url %}`` tags vs links reversed once per process, and, not removed but measured, the
signed-in user's lookup through the ORM vs the same SELECT. Run ``bench.page_latency`` first
(it seeds the workspace), then::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/prosocial_bench \\
    REDIS_URL=redis://127.0.0.1:6379/2 DEBUG=0 .venv/bin/python -m bench.page_costs
"""

# ruff: noqa: E402, E731, I001
import json
import os
import re
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


# --- second pass: the layout shell every workspace page pays ---------------------------------
from django.contrib.auth.backends import ModelBackend
from django.contrib.messages.storage.fallback import FallbackStorage
from django.db import connections
from django.db.models.expressions import RawSQL
from django.template import engines
from django.test import RequestFactory
from django.urls import resolve
from accounts.context_processors import LAYOUT_URL_NAMES, WORKSPACE_URL_NAMES


def membership_first_pass(user, slug):
    """``get_membership_for_user`` as #15's first pass left it: the ORM builds the query."""
    rows_query = acc.list_memberships_for_user(user)
    quote = connections[rows_query.db].ops.quote_name
    slug_column = f"{quote(Workspace._meta.db_table)}.{quote('slug')}"
    rows = list(
        rows_query.annotate(
            **{
                name: RawSQL(
                    f"CASE WHEN {slug_column} = %s THEN {sql} END",
                    (slug, *params),
                    output_field=IntegerField(),
                )
                for name, sql, params in acc._compiled_layout_counts(rows_query.db)
            }
        )
    )
    membership = next(m for m in rows if m.workspace.slug == slug)
    for row in rows:
        row.user = user
    membership.nav_memberships = rows
    return membership


res["membership query: ORM-built (counts compiled once) vs SQL written once per process"] = (
    t(lambda: membership_first_pass(owner, ws.slug), 300),
    t(lambda: acc.get_membership_for_user(owner, ws.slug), 300),
)

# The layout as it was: the same template with its links reversed by {% url %} on every page.
layout_path = Path(__file__).resolve().parents[1] / "templates" / "layouts" / "app.html"
layout_now = layout_path.read_text(encoding="utf-8")
layout_then = layout_now.replace(
    "{% for m, dashboard_url in nav_switcher %}", "{% for m in nav_memberships %}"
).replace("{{ dashboard_url }}", "{% url 'accounts:dashboard' m.workspace.slug %}")
for key, name in WORKSPACE_URL_NAMES.items():
    layout_then = layout_then.replace(
        f"{{{{ nav_urls.{key} }}}}", f"{{% url '{name}' current_membership.workspace.slug %}}"
    )
for key, name in LAYOUT_URL_NAMES.items():
    layout_then = layout_then.replace(f"{{{{ layout_urls.{key} }}}}", f"{{% url '{name}' %}}")
if "nav_urls." in layout_then or "layout_urls." in layout_then:
    raise SystemExit("page_costs: the old layout could not be rebuilt from app.html")
shell_path = f"/bench/shell/{ws.slug}/"
request = RequestFactory().get(shell_path, HTTP_HOST="127.0.0.1")
request.resolver_match = resolve(shell_path)
request.user = owner
request.session = SessionStore(key)
request._messages = FallbackStorage(request)
request.membership = acc.get_membership_for_user(owner, ws.slug)
engine = engines["django"]
then, now = engine.from_string(layout_then), engine.from_string(layout_now)
csrf = re.compile(r"[A-Za-z0-9]{64}")  # masked anew on every render
if csrf.sub("", then.render({}, request)) != csrf.sub("", now.render({}, request)):
    raise SystemExit("page_costs: the old and the new layout render different pages")
res["layout around an empty page: 25 {% url %} per render vs links reversed once per process"] = (
    t(lambda: then.render({}, request), 300),
    t(lambda: now.render({}, request), 300),
)
backend = ModelBackend()
user_sql = f"SELECT * FROM {User._meta.db_table} WHERE id = %s"


def user_raw():
    with connections["default"].cursor() as cursor:
        cursor.execute(user_sql, [owner.pk])
        cursor.fetchall()


res["left: the signed-in user's lookup, ORM (ModelBackend.get_user) vs the same SELECT raw"] = (
    t(lambda: backend.get_user(owner.pk), 300),
    t(user_raw, 300),
)
res["_loadavg"] = os.getloadavg()
print(json.dumps(res, indent=1))
Path(__file__).with_name("results").joinpath("page_costs.json").write_text(
    json.dumps(res, indent=1) + "\n", encoding="utf-8"
)
Session.objects.filter(session_key=key).delete()
