"""Reads for publishing: workspace-scoped lists, the access helper, calendar and form choices.

Every query starts from the member's workspace, so a publication, account or file of another
workspace is never listed and ``get_publication_for_member`` answers the same ``Http404`` for
a missing pk and a foreign one (STYLE §3.4). Callers: publishing views and forms.
"""

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import (
    Case,
    CharField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
    Window,
)
from django.db.models.functions import RowNumber
from django.http import Http404
from django.utils import timezone

from accounts.models import Membership, Workspace
from accounts.permissions import Role, has_permission
from accounts.selectors import count_subquery
from campaigns.models import Campaign
from creatives.library.models import MediaAsset
from creatives.studio.models import Creative, Script
from meta_integration.models import InstagramAccount, MetaAdAccount, MetaConnection, MetaPage
from prosocial.kept import Source
from publishing.models import Publication, PublicationEvent
from publishing.targets import PROMOTABLE_TARGETS

USABLE_CONNECTION = (MetaConnection.Status.ACTIVE, MetaConnection.Status.EXPIRING)
# "Account" filter values on the history page: "<kind>:<pk>".
ACCOUNT_KINDS = {"page": "page_id", "ig": "instagram_account_id", "ad": "ad_account_id"}


def workspace_zone(membership: Membership) -> ZoneInfo:
    """Return the workspace's time zone (UTC when the stored name is unknown)."""
    try:
        return ZoneInfo(membership.workspace.timezone or "UTC")
    except (ValueError, KeyError):
        return ZoneInfo("UTC")


def list_publications_for_member(
    membership: Membership, *, status: str = "", target: str = "", account: str = ""
) -> QuerySet[Publication]:
    """Return the workspace's publications, newest first, filtered by status/target/account.

    ``account`` is ``"page:<pk>"``, ``"ig:<pk>"`` or ``"ad:<pk>"``; anything else is ignored.
    """
    publications = Publication.objects.filter(workspace=membership.workspace).select_related(
        "page", "instagram_account", "ad_account"
    )
    if status:
        publications = publications.filter(status=status)
    if target:
        publications = publications.filter(target=target)
    kind, _, pk = account.partition(":")
    if kind in ACCOUNT_KINDS and pk.isdigit():
        publications = publications.filter(**{ACCOUNT_KINDS[kind]: int(pk)})
    return publications


def get_publication_for_member(membership: Membership, pk: int) -> Publication:
    """Return the publication ``pk`` inside the member's workspace; 404 otherwise."""
    publication: Publication | None = (
        Publication.objects.filter(workspace=membership.workspace)
        .select_related(
            "page",
            "instagram_account",
            "ad_account",
            "cover_asset",
            "created_by",
            "reviewed_by",
            "workspace",
        )
        .filter(pk=pk)
        .first()
    )
    if publication is None:
        raise Http404("No such publication")
    return publication


def list_promotable_for_member(membership: Membership) -> QuerySet[Publication]:
    """Return the workspace's published organic posts an ad can promote, newest first."""
    return (
        Publication.objects.filter(
            workspace=membership.workspace,
            status=Publication.Status.PUBLISHED,
            target__in=PROMOTABLE_TARGETS,
        )
        .exclude(remote_id="")
        .select_related("page", "instagram_account")
        .order_by("-published_at", "-id")
    )


def script_of(publication: Publication) -> Script | None:
    """Return the campaign script whose AI video the publication carries, if it carries one."""
    creative = (
        Creative.objects.filter(
            asset__publication_items__publication=publication,
            script__campaign__workspace_id=publication.workspace_id,
        )
        .select_related("script__campaign", "script__cohort")
        .first()
    )
    return creative.script if creative is not None else None


def list_items(publication: Publication) -> list[MediaAsset]:
    """Return the publication's media files in order."""
    return [item.asset for item in publication.items.select_related("asset").order_by("position")]


def list_events(publication: Publication) -> QuerySet[PublicationEvent]:
    return PublicationEvent.objects.filter(publication=publication).order_by("created_at", "id")


def list_renditions_of(assets: list[MediaAsset]) -> dict[int, list[MediaAsset]]:
    """Return the ready conforming copies made from each of ``assets``, newest first."""
    found: dict[int, list[MediaAsset]] = {asset.pk: [] for asset in assets}
    copies = MediaAsset.objects.filter(
        parent__in=[asset.pk for asset in assets], status=MediaAsset.Status.READY
    ).order_by("-created_at", "-id")
    for copy in copies:
        if copy.parent_id is not None:
            found[copy.parent_id].append(copy)
    return found


# --- calendar ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CalendarMonth:
    first: date  # the 1st of the month shown
    weeks: list[list[date]]  # Monday-first weeks covering the month
    items: dict[date, list[tuple[datetime, Publication]]]  # local day -> (local time, row)

    @property
    def grid(self) -> list[list[tuple[date, list[tuple[datetime, Publication]]]]]:
        """Return the weeks with each day's (local time, publication) pairs."""
        return [[(day, self.items.get(day, [])) for day in week] for week in self.weeks]

    @property
    def previous(self) -> date:
        return (self.first - timedelta(days=1)).replace(day=1)

    @property
    def next(self) -> date:
        return (self.first + timedelta(days=32)).replace(day=1)


def calendar_items(membership: Membership, month: date) -> CalendarMonth:
    """Return the scheduled and published publications of ``month`` (in the workspace's zone)."""
    zone = workspace_zone(membership)
    first = month.replace(day=1)
    start = datetime(first.year, first.month, 1, tzinfo=zone)
    following = (first + timedelta(days=32)).replace(day=1)
    end = datetime(following.year, following.month, 1, tzinfo=zone)
    items: dict[date, list[tuple[datetime, Publication]]] = {}
    for local, publication in _placed(membership, start, end):
        items.setdefault(local.date(), []).append((local, publication))
    for day in items.values():
        day.sort(key=lambda pair: (pair[0], pair[1].pk))
    weeks = calendar.Calendar(firstweekday=calendar.MONDAY).monthdatescalendar(
        first.year, first.month
    )
    return CalendarMonth(first=first, weeks=weeks, items=items)


# --- form choices ----------------------------------------------------------------------------------


def list_pages_for_publishing(membership: Membership) -> QuerySet[MetaPage]:
    """Return the workspace's selected Pages whose Meta connection is usable."""
    return MetaPage.objects.filter(
        workspace=membership.workspace,
        is_selected=True,
        connection__status__in=USABLE_CONNECTION,
    ).order_by("name", "pk")


def list_instagram_accounts_for_publishing(membership: Membership) -> QuerySet[InstagramAccount]:
    """Return the workspace's selected Instagram accounts whose Meta connection is usable."""
    return InstagramAccount.objects.filter(
        workspace=membership.workspace,
        is_selected=True,
        connection__status__in=USABLE_CONNECTION,
    ).order_by("username", "pk")


def list_ad_accounts_for_publishing(membership: Membership) -> QuerySet[MetaAdAccount]:
    """Return the workspace's selected ad accounts whose Meta connection is usable."""
    return MetaAdAccount.objects.filter(
        workspace=membership.workspace,
        is_selected=True,
        connection__status__in=USABLE_CONNECTION,
    ).order_by("name", "pk")


def list_media_for_publishing(membership: Membership) -> QuerySet[MediaAsset]:
    """Return the workspace's ready images and videos (originals and conforming copies)."""
    return (
        MediaAsset.objects.filter(workspace=membership.workspace, status=MediaAsset.Status.READY)
        .exclude(kind=MediaAsset.Kind.AUDIO)
        .order_by("-created_at", "-id")
    )


def account_filter_choices(membership: Membership) -> list[tuple[str, str]]:
    """Return ``(value, label)`` pairs for the history page's account filter.

    One query (a ``UNION ALL`` of the three account tables, each in its own order).
    """
    ws = membership.workspace
    text = CharField()
    parts = [
        MetaPage.objects.filter(workspace=ws)
        .order_by()
        .values_list(Value("page", output_field=text), "pk", "name", Value("", output_field=text)),
        InstagramAccount.objects.filter(workspace=ws)
        .order_by()
        .values_list(Value("ig", output_field=text), "pk", "name", "username"),
        MetaAdAccount.objects.filter(workspace=ws)
        .order_by()
        .values_list(Value("ad", output_field=text), "pk", "name", Value("", output_field=text)),
    ]
    # Unordered in SQL (SQLite allows no ORDER BY inside a UNION); sorted here in each table's
    # own order: Pages and ad accounts by name, Instagram accounts by username.
    rows = sorted(
        parts[0].union(*parts[1:], all=True).order_by(),
        key=lambda row: (
            ["page", "ig", "ad"].index(row[0]),
            row[3] if row[0] == "ig" else row[2],
            row[1],
        ),
    )
    labels = {"page": "Page · {}", "ig": "Instagram · {}", "ad": "Ad account · {}"}
    return [
        (
            f"{kind}:{pk}",
            labels[kind].format(f"@{username}" if kind == "ig" and username else name),
        )
        for kind, pk, name, username in rows
    ]


def converting_copy(asset: MediaAsset, placement_key: str) -> MediaAsset | None:
    """Return the copy of ``asset`` for ``placement_key`` still being made, if any."""
    return (
        MediaAsset.objects.filter(
            parent=asset, placement_key=placement_key, status=MediaAsset.Status.PROCESSING
        )
        .order_by("-created_at", "-id")
        .first()
    )


def next_step_hint(publication: Publication, *, blockers: list[str], time_set: bool) -> str:
    """Say, for a draft or ready publication, what has to happen before it goes out."""
    Approval = Publication.Approval
    if blockers:
        return "Not published yet: the checks below say what's missing."
    if publication.approval_status == Approval.NEEDED:
        return "Not published yet: submit it for approval first."
    if publication.approval_status == Approval.PENDING:
        return "Not published yet: waiting for an owner or admin to approve it."
    if publication.approval_status == Approval.CHANGES_REQUESTED:
        return "Sent back: make the changes asked for, then submit it again."
    if time_set:
        return "Ready: schedule it for the time you set, or change the time."
    return "Ready: publish it now or set a time."


def disconnect_impact(*, connection_id: int) -> list[tuple[str, int]]:
    """Return what disconnecting the connection would do to publications, as (label, count).

    Pending ones pause (they keep their settings and resume on reconnect); published ones keep
    their history. Zero counts are left out.
    """
    using = Publication.objects.filter(
        Q(page__connection_id=connection_id)
        | Q(instagram_account__connection_id=connection_id)
        | Q(ad_account__connection_id=connection_id)
    )
    Status = Publication.Status
    counts = [
        (
            "scheduled or sending publication(s) will be paused",
            using.filter(
                status__in=[
                    Status.SCHEDULED,
                    Status.QUEUED,
                    Status.UPLOADING,
                    Status.PROCESSING,
                    Status.PUBLISHING,
                ]
            ).count(),
        ),
        (
            "draft(s) will be paused until an account is chosen again",
            using.filter(status__in=[Status.DRAFT, Status.READY]).count(),
        ),
        (
            "published or finished publication(s) keep their history",
            using.filter(status__in=[Status.PUBLISHED, Status.FAILED, Status.CANCELLED]).count(),
        ),
    ]
    return [(label, count) for label, count in counts if count]


# --- week view -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CalendarWeek:
    start: date  # the Monday of the week shown
    days: list[date]
    hours: list[int]
    items: dict[tuple[date, int], list[tuple[datetime, Publication]]]  # (day, hour) -> pairs

    @property
    def grid(self) -> list[tuple[int, list[tuple[date, list[tuple[datetime, Publication]]]]]]:
        """Return one row per hour: ``(hour, [(day, that hour's pairs) for each day])``."""
        return [
            (hour, [(day, self.items.get((day, hour), [])) for day in self.days])
            for hour in self.hours
        ]

    @property
    def previous(self) -> date:
        return self.start - timedelta(days=7)

    @property
    def next(self) -> date:
        return self.start + timedelta(days=7)

    @property
    def end(self) -> date:
        return self.days[-1]


def calendar_week(membership: Membership, day: date) -> CalendarWeek:
    """Return the scheduled and published publications of ``day``'s week, Monday first.

    Days and hours are the workspace's (a week across a daylight-saving change has a 23- or
    25-hour day; each item sits at its local wall-clock hour).
    """
    zone = workspace_zone(membership)
    monday = day - timedelta(days=day.weekday())
    following = monday + timedelta(days=7)
    start = datetime(monday.year, monday.month, monday.day, tzinfo=zone)
    end = datetime(following.year, following.month, following.day, tzinfo=zone)
    items: dict[tuple[date, int], list[tuple[datetime, Publication]]] = {}
    for local, publication in _placed(membership, start, end):
        items.setdefault((local.date(), local.hour), []).append((local, publication))
    for slot in items.values():
        slot.sort(key=lambda pair: (pair[0], pair[1].pk))
    days = [monday + timedelta(days=n) for n in range(7)]
    return CalendarWeek(start=monday, days=days, hours=list(range(24)), items=items)


def _placed(
    membership: Membership, start: datetime, end: datetime
) -> list[tuple[datetime, Publication]]:
    """Return ``(local time, publication)`` for what is scheduled or published in [start, end)."""
    zone = workspace_zone(membership)
    rows = (
        Publication.objects.filter(workspace=membership.workspace)
        .filter(
            Q(status=Publication.Status.SCHEDULED, scheduled_at__gte=start, scheduled_at__lt=end)
            | Q(status=Publication.Status.PUBLISHED, published_at__gte=start, published_at__lt=end)
        )
        .select_related("page", "instagram_account", "ad_account")
    )
    placed = []
    for publication in rows:
        moment = (
            publication.published_at
            if publication.status == Publication.Status.PUBLISHED
            else publication.scheduled_at
        )
        if moment is not None:
            placed.append((moment.astimezone(zone), publication))
    return placed


# --- approvals and notifications -----------------------------------------------------------------


def list_member_user_ids(workspace: Workspace, *, action: str) -> list[int]:
    """Return the ids of the workspace's members whose role allows ``action``."""
    roles = [role for role in Role if has_permission(role, action)]
    return list(
        Membership.objects.filter(workspace=workspace, role__in=roles)
        .order_by("user_id")
        .values_list("user_id", flat=True)
    )


def list_waiting_for_member(membership: Membership) -> QuerySet[Publication]:
    """Return what waits for this member, oldest first.

    For those who may approve: every publication submitted for approval. For the others who
    edit: their own publications that were sent back to them. Viewers: nothing.
    """
    rows = Publication.objects.filter(workspace=membership.workspace)
    if membership.can("publish.approve"):
        rows = rows.filter(approval_status=Publication.Approval.PENDING)
    elif membership.can("content.edit"):
        rows = rows.filter(
            approval_status=Publication.Approval.CHANGES_REQUESTED, created_by=membership.user
        )
    else:
        rows = rows.none()
    return rows.select_related("created_by", "reviewed_by").order_by("updated_at", "pk")


def count_waiting_for_member(membership: Membership) -> int:
    return list_waiting_for_member(membership).count()


def waiting_count_expression() -> Case:
    """``count_waiting_for_member`` as SQL over a membership row, for the membership query.

    Registered through ``accounts.extensions.register_membership_count`` as ``nav_waiting``,
    so the sidebar's "Waiting for you" costs no query of its own.
    """
    approvers = [role for role in Role if has_permission(role, "publish.approve")]
    editors = [role for role in Role if has_permission(role, "content.edit")]
    rows = Publication.objects.filter(workspace_id=OuterRef("workspace_id"))
    return Case(
        When(
            role__in=approvers,
            then=count_subquery(rows.filter(approval_status=Publication.Approval.PENDING)),
        ),
        When(
            role__in=editors,
            then=count_subquery(
                rows.filter(
                    approval_status=Publication.Approval.CHANGES_REQUESTED,
                    created_by_id=OuterRef("user_id"),
                )
            ),
        ),
        default=Value(0),
        output_field=IntegerField(),
    )


# --- the dashboard's panels (registered in apps.py through accounts.extensions) ----------------

DASHBOARD_LIST_LIMIT = 5
RESULTS_DAYS = 7


def next_steps(membership: Membership) -> list[tuple[str, bool]]:
    """Return the new workspace's first steps as ``(key, done)``: meta, media, brief.

    One query whatever the workspace's size (three EXISTS subqueries on the workspace row).
    """
    workspace = membership.workspace
    flags = (
        Workspace.objects.filter(pk=workspace.pk)
        .annotate(
            has_meta=Exists(
                MetaConnection.objects.filter(
                    workspace=OuterRef("pk"), status__in=USABLE_CONNECTION
                )
            ),
            has_media=Exists(MediaAsset.objects.filter(workspace=OuterRef("pk"))),
            has_brief=Exists(Campaign.objects.filter(workspace=OuterRef("pk"))),
        )
        .values_list("has_meta", "has_media", "has_brief")
        .first()
    ) or (False, False, False)
    return [(key, bool(done)) for key, done in zip(("meta", "media", "brief"), flags, strict=True)]


def list_scheduled_next(membership: Membership) -> list[Publication]:
    """Return the next publications due to go out (scheduled, soonest first)."""
    return list(
        Publication.objects.filter(
            workspace=membership.workspace, status=Publication.Status.SCHEDULED
        )
        .select_related("page", "instagram_account", "ad_account")
        .order_by("scheduled_at", "pk")[:DASHBOARD_LIST_LIMIT]
    )


def list_recent_failures(membership: Membership) -> list[Publication]:
    """Return the most recently failed publications, newest first."""
    return list(
        Publication.objects.filter(
            workspace=membership.workspace, status=Publication.Status.FAILED
        ).order_by("-updated_at", "-pk")[:DASHBOARD_LIST_LIMIT]
    )


def list_recent_results(membership: Membership, *, now: datetime) -> list[Publication]:
    """Return what was published in the last seven days, newest first."""
    return list(
        Publication.objects.filter(
            workspace=membership.workspace,
            status=Publication.Status.PUBLISHED,
            published_at__gte=now - timedelta(days=RESULTS_DAYS),
        ).order_by("-published_at", "-pk")[: DASHBOARD_LIST_LIMIT * 2]
    )


# What the dashboard's panels read (``prosocial.kept``): next steps ask whether there is a
# usable Meta connection, a media file and a campaign; the queue lists publications.
NEXT_STEPS_SOURCES = (Source(MetaConnection), Source(MediaAsset), Source(Campaign))
DASHBOARD_PUBLISHING_SOURCES = (Source(Publication),)


def dashboard_next_steps(membership: Membership) -> dict[str, object]:
    """Return the dashboard's "next steps" panel: each step ticked when done (one query)."""
    steps = next_steps(membership)
    return {"steps": dict(steps), "all_done": all(done for _key, done in steps)}


def dashboard_publishing(membership: Membership) -> dict[str, object]:
    """Return the dashboard's publishing panel: waiting, scheduled next, failed, recent results.

    One query whatever the number of publications: the four lists, each ordered and cut in
    SQL, as one ``UNION ALL`` (where the database can order and cut inside a union; SQLite
    can't, so there it is one query per list). The waiting count comes with the membership
    (``nav_waiting``) on pages that resolved it; otherwise it is counted when the list is full.
    """
    mine = Publication.objects.filter(workspace=membership.workspace)
    Status = Publication.Status
    lists: dict[str, tuple[QuerySet[Publication], tuple[str, ...], int]] = {
        "scheduled": (
            mine.filter(status=Status.SCHEDULED),
            ("scheduled_at", "pk"),
            DASHBOARD_LIST_LIMIT,
        ),
        "failed": (mine.filter(status=Status.FAILED), ("-updated_at", "-pk"), DASHBOARD_LIST_LIMIT),
        "results": (
            mine.filter(
                status=Status.PUBLISHED,
                published_at__gte=timezone.now() - timedelta(days=RESULTS_DAYS),
            ),
            ("-published_at", "-pk"),
            DASHBOARD_LIST_LIMIT * 2,
        ),
    }
    can_edit = membership.can("content.edit")
    waiting_rows = list_waiting_for_member(membership).select_related(None)
    if can_edit:
        lists["waiting"] = (waiting_rows, ("updated_at", "pk"), DASHBOARD_LIST_LIMIT)
    found = _fetch_lists(lists)
    waiting = None
    if can_edit:
        items = found["waiting"]
        count = getattr(membership, "nav_waiting", None)
        if count is None:
            count = len(items) if len(items) < DASHBOARD_LIST_LIMIT else waiting_rows.count()
        waiting = {"items": items, "count": count}
    return {
        "waiting": waiting,
        "scheduled": found["scheduled"],
        "failed": found["failed"],
        "results": found["results"],
        "results_days": RESULTS_DAYS,
    }


def _fetch_lists(
    lists: dict[str, tuple[QuerySet[Publication], tuple[str, ...], int]],
) -> dict[str, list[Publication]]:
    """Return each ``(rows, ordering, limit)`` as a list, all in one UNION ALL if possible."""
    if not connection.features.supports_slicing_ordering_in_compound:
        return {
            name: list(rows.order_by(*order)[:limit])
            for name, (rows, order, limit) in lists.items()
        }
    parts = []
    for name, (rows, order, limit) in lists.items():
        by = [F(key[1:]).desc() if key.startswith("-") else F(key).asc() for key in order]
        parts.append(
            rows.annotate(
                _list=Value(name, output_field=CharField()),
                _rank=Window(RowNumber(), order_by=by),
            ).order_by(*order)[:limit]
        )
    found: dict[str, list[Publication]] = {name: [] for name in lists}
    for row in sorted(parts[0].union(*parts[1:], all=True), key=lambda r: (r._list, r._rank)):
        found[row._list].append(row)
    return found
