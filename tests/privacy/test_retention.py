"""Retention: exactly what is past its period goes, the dry run agrees, audit events say so."""

from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from accounts.models import AuditEvent
from creatives.library.models import MediaAsset
from privacy import retention
from privacy.models import DataDeletionRequest, RetentionSettings
from tests.conftest import client_for
from tests.privacy.conftest import upload_image

NOW = timezone.now()


def _generated(membership, *, age_days, used_days_ago=None):
    asset = upload_image(membership, f"gen-{age_days}.jpg")
    MediaAsset.objects.filter(pk=asset.pk).update(
        source=MediaAsset.Source.GENERATED,
        created_at=NOW - timedelta(days=age_days),
        last_used_at=None if used_days_ago is None else NOW - timedelta(days=used_days_ago),
    )
    return asset


@pytest.fixture
def media_ages(owner, outsider):
    """Generated media around a 30-day period, plus uploads and another workspace's."""
    RetentionSettings.objects.create(workspace=owner.workspace, unused_generated_media_days=30)
    return {
        "old_unused": _generated(owner, age_days=45),
        "old_but_used_recently": _generated(owner, age_days=45, used_days_ago=5),
        "old_used_long_ago": _generated(owner, age_days=90, used_days_ago=31),
        "young": _generated(owner, age_days=29),
        "old_upload": upload_image(owner, "upload.jpg"),
        "other_workspace_old": _generated(outsider, age_days=45),
    }


def test_dry_run_counts_what_the_run_removes(owner, media_ages):
    MediaAsset.objects.filter(pk=media_ages["old_upload"].pk).update(
        created_at=NOW - timedelta(days=400)
    )
    report = {line.label: line for line in retention.retention_report(owner.workspace, now=NOW)}
    line = report["Unused AI-generated media"]
    assert (line.count, line.period_days) == (2, 30)

    removed = retention.apply_workspace_retention(owner.workspace, now=NOW)

    assert removed["creatives.unused_generated_media"] == 2
    left = set(MediaAsset.objects.values_list("pk", flat=True))
    gone = {media_ages["old_unused"].pk, media_ages["old_used_long_ago"].pk}
    assert left == {a.pk for a in media_ages.values()} - gone
    assert not default_storage.exists(media_ages["old_unused"].storage_key)
    assert default_storage.exists(media_ages["young"].storage_key)
    event = AuditEvent.objects.get(action="retention.removed")
    assert event.workspace == owner.workspace
    assert event.metadata["count"] == 2
    assert event.metadata["kind"] == "creatives.unused_generated_media"


def test_nightly_run_covers_every_workspace(owner, outsider, media_ages):
    totals = retention.apply_retention(now=NOW)
    # The other workspace keeps the default period (90 days), so its 45-day-old file stays.
    assert totals["creatives.unused_generated_media"] == 2
    assert MediaAsset.objects.filter(pk=media_ages["other_workspace_old"].pk).exists()


def test_receipts_go_after_their_own_end_date(db):
    def receipt(code, keep_until):
        return DataDeletionRequest.objects.create(
            confirmation_code=code,
            source="meta_callback",
            subject_hash=code,
            status="completed",
            keep_until=keep_until,
        )

    receipt("EXPIRED", NOW - timedelta(seconds=1))
    receipt("KEPT", NOW + timedelta(days=1))
    DataDeletionRequest.objects.create(confirmation_code="OPEN", subject_hash="o")

    removed = retention.apply_site_retention(now=NOW)

    assert removed["privacy.deletion_receipts"] == 1
    assert set(DataDeletionRequest.objects.values_list("confirmation_code", flat=True)) == {
        "KEPT",
        "OPEN",
    }


def test_audit_events_past_the_site_period_go(owner, settings):
    settings.RETENTION_AUDIT_EVENT_DAYS = 10
    old = AuditEvent.objects.create(action="x.old", created_at=NOW - timedelta(days=11))
    recent = AuditEvent.objects.create(action="x.recent", created_at=NOW - timedelta(days=9))

    retention.apply_site_retention(now=NOW)

    assert not AuditEvent.objects.filter(pk=old.pk).exists()
    assert AuditEvent.objects.filter(pk=recent.pk).exists()


def test_admins_change_periods_and_it_is_audited(owner, admin):
    response = client_for(admin).post(
        "/w/acme/privacy/retention/",
        {
            "unused_generated_media_days": 14,
            "publish_trace_days": 60,
            "webhook_event_days": 7,
            "inbox_thread_days": 180,
            "deletion_receipt_years": 2,
        },
    )
    assert response.status_code == 302
    row = RetentionSettings.objects.get(workspace=owner.workspace)
    assert (row.unused_generated_media_days, row.webhook_event_days) == (14, 7)
    assert row.inbox_thread_days == 180
    event = AuditEvent.objects.get(action="retention.updated")
    assert event.metadata["changes"]["unused_generated_media_days"][1] == 14


@pytest.mark.parametrize(
    "bad",
    [
        {"unused_generated_media_days": 0},
        {"unused_generated_media_days": -5},
        {"unused_generated_media_days": "many"},
        {"deletion_receipt_years": 99},
        {"inbox_thread_days": 0},
        {},
    ],
)
def test_bad_periods_are_refused_and_nothing_changes(owner, bad):
    good = {
        "unused_generated_media_days": 30,
        "publish_trace_days": 60,
        "webhook_event_days": 7,
        "inbox_thread_days": 180,
        "deletion_receipt_years": 2,
    }
    data = {**good, **bad} if bad else {}
    response = client_for(owner).post("/w/acme/privacy/retention/", data)
    assert response.status_code == 422
    assert not RetentionSettings.objects.exclude(unused_generated_media_days=90).exists()
    assert not AuditEvent.objects.filter(action="retention.updated").exists()


def test_viewers_see_the_report_but_cannot_change_periods(owner, viewer, media_ages):
    client = client_for(viewer)
    page = client.get("/w/acme/privacy/")
    assert page.status_code == 200
    assert b'data-testid="retention-report"' in page.content
    assert b"Only owners and admins can change retention periods" in page.content
    response = client.post("/w/acme/privacy/retention/", {"unused_generated_media_days": 1})
    assert response.status_code == 403
