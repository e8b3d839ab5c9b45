"""Results and privacy: disconnect, erasure, export, inventory, retention, the policy page, admin."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from insights import privacy, reports
from insights.models import AdReport, InsightObject, InsightSnapshot, RefreshRun
from meta_integration import services as meta_services
from meta_integration.models import MetaConnection
from meta_sandbox import seed
from prosocial import erasure, exporting, inventory
from tests.conftest import client_for
from tests.factories import UserFactory
from tests.insights.conftest import COFFEE, HOUR, IG_COFFEE, publish_ad, publish_fb_post, refresh
from tests.meta_integration.helpers import connect

POLICY = "/privacy/"


@pytest.fixture
def measured(connected, sandbox):
    """The owner's workspace with a post and an ad measured, and a stranger's results too."""
    publish_fb_post(connected)
    publish_ad(connected, sandbox)
    sandbox.state.advance_clock(6 * HOUR)
    refresh(connected, sandbox)
    assert InsightSnapshot.objects.filter(workspace=connected.workspace).exists()
    return connected


@pytest.fixture
def stranger(measured, outsider, sandbox):
    """Another workspace, connected by another person, measuring that person's Page."""
    connect(
        client_for(outsider),
        sandbox,
        slug="rival",
        user_id=seed.SAM_ID,
        pages=[seed.PAGE_FITNESS_ID],
        ig=[seed.IG_FITNESS_ID],
        ads=[seed.ACT_FITNESS],
    )
    from meta_integration.models import MetaPage

    MetaPage.objects.filter(workspace=outsider.workspace).update(is_selected=True)
    refresh(outsider, sandbox)
    assert InsightSnapshot.objects.filter(workspace=outsider.workspace).exists()
    return outsider


def held(workspace) -> tuple[int, int]:
    return (
        InsightObject.objects.filter(workspace=workspace).count(),
        InsightSnapshot.objects.filter(workspace=workspace).count(),
    )


def test_disconnecting_deletes_the_results_read_through_it(measured, stranger):
    theirs = held(stranger.workspace)
    connection = MetaConnection.objects.get(workspace=measured.workspace)

    meta_services.disconnect_meta_account(actor=measured, connection=connection)

    assert held(measured.workspace) == (0, 0)
    assert held(stranger.workspace) == theirs


def test_a_page_removing_the_app_takes_only_its_results(measured):
    gone = [COFFEE, IG_COFFEE]  # the Page, and the Instagram account linked to it
    before = InsightObject.objects.filter(workspace=measured.workspace).exclude(
        account_meta_id__in=gone
    )
    kept = sorted(before.values_list("pk", flat=True))

    meta_services.remove_deauthorized_meta_page(page_id=COFFEE)

    assert not InsightObject.objects.filter(account_meta_id__in=gone).exists()
    assert kept
    remaining = InsightObject.objects.filter(workspace=measured.workspace)
    assert sorted(remaining.values_list("pk", flat=True)) == kept


def test_metas_deletion_request_erases_that_persons_results(measured, stranger):
    theirs = held(stranger.workspace)

    counts = erasure.erase_meta_user(seed.ALEX_ID)

    assert counts["insights.objects"] > 0
    assert held(measured.workspace) == (0, 0)
    assert held(stranger.workspace) == theirs


def test_a_person_removing_the_app_on_facebook_deletes_nothing(measured):
    before = held(measured.workspace)

    meta_services.revoke_meta_connections_for_user(meta_user_id=seed.ALEX_ID)

    assert held(measured.workspace) == before


def test_deleting_the_workspace_erases_everything(measured, stranger):
    AdReport.objects.create(
        workspace=measured.workspace,
        ad_account_meta_id=seed.ACT_COFFEE_US,
        level="ad",
        report_run_id="1",
        since=timezone.localdate(),
        until=timezone.localdate(),
    )
    theirs = held(stranger.workspace)

    counts = erasure.erase_workspace_data(measured.workspace_id)

    assert held(measured.workspace) == (0, 0)
    assert not RefreshRun.objects.filter(workspace=measured.workspace).exists()
    assert not AdReport.objects.exists()
    assert counts["insights.refresh_runs"] >= 1
    assert held(stranger.workspace) == theirs


def test_erasing_a_person_unlinks_the_refreshes_they_asked_for(measured):
    RefreshRun.objects.update(requested_by=measured.user)

    counts = erasure.erase_user_data(measured.user_id)

    assert counts["insights.insights_unlinked"] == RefreshRun.objects.count() > 0
    assert not RefreshRun.objects.filter(requested_by__isnull=False).exists()


def test_the_exports_hold_the_results(measured, stranger):
    RefreshRun.objects.filter(workspace=measured.workspace).update(requested_by=measured.user)

    part = exporting.collect_workspace_export(measured.workspace_id)
    mine = exporting.collect_user_export(measured.user_id)

    objects, snapshots = held(measured.workspace)
    assert len(part.records["insights.objects"]) == objects
    assert len(part.records["insights.snapshots"]) == snapshots
    assert {r["workspace_id"] for r in part.records["insights.snapshots"]} == {
        measured.workspace_id
    }
    spend = [r["spend"] for r in part.records["insights.snapshots"] if r["spend"] is not None]
    assert spend
    assert all(isinstance(value, str) for value in spend)  # Decimal kept exact
    assert len(part.records["insights.refresh_runs"]) >= 1
    assert len(mine.records["insights.refreshes_requested"]) >= 1


def test_the_privacy_centre_counts_the_results(measured):
    items = {item.label: item for item in inventory.describe_workspace(measured.workspace_id)}

    result = items["Results from Meta"]
    assert result.count == held(measured.workspace)[1]
    assert "2 years" in result.detail


def test_retention_removes_old_results_and_runs_and_logs_it(measured):
    now = timezone.now()
    source = InsightObject.objects.filter(workspace=measured.workspace).first()
    old_day = now.date() - timedelta(days=privacy.SNAPSHOT_RETENTION_DAYS + 1)
    InsightSnapshot.objects.create(
        workspace=measured.workspace, source=source, metric_set="daily", day=old_day, fetched_at=now
    )
    kept = held(measured.workspace)[1] - 1
    old_run = RefreshRun.objects.filter(workspace=measured.workspace).first()
    RefreshRun.objects.filter(pk=old_run.pk).update(created_at=now - timedelta(days=15))
    active = RefreshRun.objects.create(workspace=measured.workspace, kind="scheduled")
    RefreshRun.objects.filter(pk=active.pk).update(created_at=now - timedelta(days=30))

    counts = privacy.apply_insights_retention(now=now)

    assert counts == {"snapshots": 1, "refresh_runs": 1}
    assert held(measured.workspace)[1] == kept
    assert RefreshRun.objects.filter(pk=active.pk).exists()  # never a run under way
    event = AuditEvent.objects.get(action="retention.removed", workspace=measured.workspace)
    assert event.metadata["kind"] == "insights.snapshots"
    assert event.metadata["count"] == 1
    assert privacy.apply_insights_retention(now=now) == {"snapshots": 0, "refresh_runs": 0}


# --- The policy page ------------------------------------------------------------------------------

# Every field of the results models, and the words the policy's results section uses for it (""
# for bookkeeping that is not about anyone). A new field fails this test until the policy says it.
SAID = {
    InsightObject: {
        "meta_id": "Meta's ID for it",
        "graph_id": "Meta's ID for it",
        "account_meta_id": "each selected Page, Instagram account and ad account",
        "publication": "the publication in ProSocial that made it",
        "page": "each selected Page",
        "instagram_account": "Instagram account",
        "ad_account": "ad account",
        "media_product_type": "a feed post, reel or story",
        "currency": "the ad account's currency",
        "published_at": "when it went out",
        "next_refresh_at": "when it is read next",
        "last_fetched_at": "when it was last read",
        "last_changed_at": "last changed",
        "last_error": "the last problem Meta reported",
        "availability": "we record why instead of a zero",
        **dict.fromkeys(
            [
                "id",
                "workspace",
                "kind",
                "state",
                "last_attempt_at",
                "unchanged_fetches",
                "failures",
                "last_digest",
                "error_code",
                "error_subcode",
                "created_at",
                "updated_at",
                "snapshots",
            ],
            "",
        ),
    },
    InsightSnapshot: {
        "views": "views",
        "reach": "reach",
        "impressions": "impressions",
        "engagement": "interactions",
        "likes": "likes",
        "comments": "comments",
        "shares": "shares",
        "saves": "saves",
        "clicks": "clicks",
        "link_clicks": "link clicks",
        "follows": "new followers",
        "followers": "follower count",
        "spend": "the amount spent",
        "currency": "in the ad account's currency",
        "cpc": "cost per click",
        "cpm": "cost per thousand impressions",
        "ctr": "click-through rate",
        "frequency": "frequency",
        "extra": "the actions Meta counts for them with their cost",
        "availability": "we record why instead of a zero",
        "day": "day by day",
        **dict.fromkeys(
            [
                "id",
                "workspace",
                "source",
                "metric_set",
                "date_start",
                "date_stop",
                "fetched_at",
            ],
            "",
        ),
    },
    RefreshRun: {
        "kind": "on schedule, or with <em>Refresh now</em>",
        "requested_by": "which member asked",
        "objects_done": "how many it read",
        "calls_made": "how many requests it sent to Meta",
        **dict.fromkeys(
            [
                "id",
                "workspace",
                "status",
                "full",
                "progress",
                "message",
                "attempts",
                "lease_expires_at",
                "next_attempt_at",
                "error",
                "retryable",
                "objects_total",
                "snapshots_written",
                "unavailable",
                "failed",
                "postponed",
                "paused_accounts",
                "created_at",
                "updated_at",
                "finished_at",
            ],
            "",
        ),
    },
    AdReport: {
        "report_run_id": "the report's ID",
        "since": "dates",
        "until": "dates",
        **dict.fromkeys(
            [
                "id",
                "workspace",
                "ad_account_meta_id",
                "level",
                "started_at",
                "next_poll_at",
                "failures",
                "last_error",
                "created_at",
                "updated_at",
            ],
            "",
        ),
    },
}


@pytest.mark.parametrize("model", list(SAID), ids=lambda m: m.__name__)
def test_policy_describes_every_field_the_results_keep(db, model):
    html = Client().get(POLICY).content.decode()
    section = html[html.index('data-testid="policy-results"') :]
    section = section[: section.index("<h3")]

    assert {f.name for f in model._meta.get_fields()} == set(SAID[model])
    assert [words for words in SAID[model].values() if words and words not in section] == []


def test_policy_states_the_results_retention(db):
    html = Client().get(POLICY).content.decode()

    years = privacy.SNAPSHOT_RETENTION_DAYS // 365
    assert f'data-testid="retention-results">{years} years after the day they cover' in html
    minutes = reports.REPORT_CACHE_SECONDS // 60
    assert f"the results pages built from them are cached for at most {minutes} minutes<" in html
    runs = privacy.RUN_RETENTION_DAYS
    assert f'data-testid="retention-results-refreshes">{runs} days<' in html
    assert "<code>read_insights</code>" in html
    assert "<code>instagram_manage_insights</code>" in html


# --- Admin -----------------------------------------------------------------------------------------


def _staff_client() -> Client:
    user = UserFactory(is_staff=True, is_superuser=False)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="insights"))
    client = Client()
    client.force_login(user)
    return client


def test_admin_shows_results_read_only(measured):
    client = _staff_client()
    snapshot = InsightSnapshot.objects.first()

    for model in ("insightobject", "insightsnapshot", "refreshrun", "adreport"):
        assert client.get(reverse(f"admin:insights_{model}_changelist")).status_code == 200
    page = client.get(reverse("admin:insights_insightsnapshot_change", args=[snapshot.pk]))
    assert page.status_code == 200
    forged = client.post(
        reverse("admin:insights_insightsnapshot_change", args=[snapshot.pk]), {"views": "1"}
    )
    assert forged.status_code == 403
    assert client.get(reverse("admin:insights_insightobject_add")).status_code == 403
