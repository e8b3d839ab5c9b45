"""The publisher contract, run for every target against the sandbox (STYLE §3.9).

Each target's class inherits ``PublisherContract``: it publishes exactly once, a finished
publication re-run creates nothing, a lost answer to the final create is reconciled instead of
re-sent, a transient 5xx is retried, and a revoked token pauses the publication and marks the
connection needs-reauth. Counts come from the sandbox's own record of created objects.
"""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from meta_integration.models import MetaConnection
from meta_sandbox import seed
from publishing import services
from publishing.models import Publication
from tests.publishing.conftest import drive, make_publication

pytestmark = pytest.mark.django_db


def created(sandbox, kind, marker=None):
    found = sandbox.state.describe_objects(kind=kind)
    return [o for o in found if marker is None or (o.get("marker") or "").find(marker) >= 0]


class PublisherContract:
    target: str
    media: list[str]
    kind: str  # the sandbox object that is "the post"
    final_path: str  # the create whose lost answer must be reconciled
    # When earlier steps POST to the same path, the fault waits until this remote key exists.
    fault_after: str | None = None
    extra: dict = {}

    def _publication(self, owner, upload, **fields):
        assets = [upload(owner, name) for name in self.media]
        publication = make_publication(owner, self.target, assets, **{**self.extra, **fields})
        blockers = [r for r in publication.preflight if r["status"] == "fail"]
        assert blockers == [], blockers
        return services.publish_publication(actor=owner, publication=publication)

    def _posts(self, sandbox):
        """Published objects of the target's kind (an abandoned upload session isn't a post)."""
        return [o for o in created(sandbox, self.kind) if o["data"].get("published", True)]

    def test_publishes_exactly_once(self, connected, upload, sandbox):
        publication = drive(self._publication(connected, upload), sandbox)

        assert publication.status == Publication.Status.PUBLISHED, publication.error_detail
        # Meta answers a video's permalink as a path; stored as is, it opened on our own host.
        link = urlsplit(publication.permalink)
        assert link.scheme == "https"
        assert link.netloc in {"www.facebook.com", "www.instagram.com", "adsmanager.facebook.com"}
        assert len(self._posts(sandbox)) == 1
        assert publication.events.filter(kind="graph").exists()

    def test_running_again_after_publishing_sends_nothing(self, connected, upload, sandbox):
        publication = drive(self._publication(connected, upload), sandbox)
        posts_sent = publication.events.filter(kind="graph", method="POST").count()

        # As if a second worker picked the row up again after it was done.
        Publication.objects.filter(pk=publication.pk).update(status="publishing")
        services.advance_publication(publication_id=publication.pk)

        assert len(self._posts(sandbox)) == 1
        assert publication.events.filter(kind="graph", method="POST").count() == posts_sent

    def test_lost_answer_to_the_final_create_is_reconciled(self, connected, upload, sandbox):
        publication = self._publication(connected, upload)
        if self.fault_after:
            drive(publication, sandbox, until=self.fault_after)
        sandbox.state.add_fault(method="POST", path=self.final_path, drop=True, after_write=True)

        publication = drive(publication, sandbox)

        assert publication.status == Publication.Status.PUBLISHED, publication.error_detail
        assert len(self._posts(sandbox)) == 1
        assert publication.events.filter(message__contains="not re-sending").exists() or (
            publication.events.filter(message__startswith="Found").exists()
        )

    def test_transient_server_error_is_retried(self, connected, upload, sandbox):
        sandbox.state.add_fault(method="POST", path=self.final_path, http_status=500, times=1)

        publication = drive(self._publication(connected, upload), sandbox)

        assert publication.status == Publication.Status.PUBLISHED, publication.error_detail
        assert len(self._posts(sandbox)) == 1
        assert publication.events.filter(kind="graph", status_code=500).count() == 1

    def test_revoked_token_pauses_and_asks_to_reconnect(self, connected, upload, sandbox):
        publication = self._publication(connected, upload)
        sandbox.state.expire_tokens(user_id=seed.ALEX_ID)

        publication = drive(publication, sandbox)

        assert publication.paused_reason.startswith("Waiting for Meta to be reconnected")
        assert publication.status != Publication.Status.FAILED
        assert MetaConnection.objects.get().status == MetaConnection.Status.NEEDS_REAUTH
        assert self._posts(sandbox) == []


class SettlesLostCreates:
    """Targets that find a lost create by listing Meta's objects (Page posts, ads).

    A create whose request died with its worker may still land at Meta for as long as our
    read timeout; until then "not listed" doesn't mean "not made", so nothing is re-sent.
    """

    def test_a_lost_create_is_resent_only_once_it_cannot_land(
        self, connected, upload, sandbox, settings
    ):
        publication = self._publication(connected, upload)
        if self.fault_after:
            drive(publication, sandbox, until=self.fault_after)
        # Dropped before Meta made anything: the answer is lost and nothing exists.
        sandbox.state.add_fault(method="POST", path=self.final_path, drop=True)
        publication = drive(publication, sandbox, until="pending")
        Publication.objects.filter(pk=publication.pk).update(next_attempt_at=timezone.now())

        services.advance_publication(publication_id=publication.pk)

        publication.refresh_from_db()
        assert self._posts(sandbox) == []
        assert "pending" in publication.remote
        assert publication.events.filter(message__contains="may still be landing").exists()
        window = settings.META_CONNECT_TIMEOUT + settings.META_READ_TIMEOUT
        assert publication.next_attempt_at > timezone.now() + timedelta(seconds=window - 10)

        # Once the lost request can no longer land, the create is sent again, once.
        since = timezone.now() - timedelta(seconds=window + 10)
        remote = {**publication.remote, "pending_since": since.isoformat()}
        Publication.objects.filter(pk=publication.pk).update(remote=remote)
        publication = drive(publication, sandbox)

        assert publication.status == Publication.Status.PUBLISHED, publication.error_detail
        assert len(self._posts(sandbox)) == 1


class TestInstagramFeedImage(PublisherContract):
    target = "ig_feed"
    media = ["square.jpg"]
    kind = "ig_media"
    final_path = f"/{seed.IG_COFFEE_ID}/media_publish"


class TestInstagramReel(PublisherContract):
    target = "ig_reel"
    media = ["reel.mp4"]
    kind = "ig_media"
    final_path = f"/{seed.IG_COFFEE_ID}/media_publish"


class TestInstagramStory(PublisherContract):
    target = "ig_story"
    media = ["reel.mp4"]
    kind = "ig_media"
    final_path = f"/{seed.IG_COFFEE_ID}/media_publish"


class TestInstagramCarousel(PublisherContract):
    target = "ig_carousel"
    media = ["square.jpg", "square-2.jpg", "reel.mp4"]
    kind = "ig_media"
    final_path = f"/{seed.IG_COFFEE_ID}/media_publish"


class TestFacebookTextPost(SettlesLostCreates, PublisherContract):
    target = "fb_post"
    media = []
    kind = "page_post"
    final_path = f"/{seed.PAGE_COFFEE_ID}/feed"
    extra = {"link_url": "live:/privacy/"}


class TestFacebookPhotoPost(SettlesLostCreates, PublisherContract):
    target = "fb_post"
    media = ["square.jpg"]
    kind = "page_photo"
    final_path = f"/{seed.PAGE_COFFEE_ID}/photos"


class TestFacebookVideoPost(SettlesLostCreates, PublisherContract):
    target = "fb_post"
    media = ["reel.mp4"]
    kind = "page_video"
    final_path = f"/{seed.PAGE_COFFEE_ID}/videos"


class TestFacebookReel(PublisherContract):
    target = "fb_reel"
    media = ["reel.mp4"]
    kind = "page_reel"
    final_path = f"/{seed.PAGE_COFFEE_ID}/video_reels"
    fault_after = "uploaded"


class TestMetaImageAd(SettlesLostCreates, PublisherContract):
    target = "meta_ad"
    media = ["square.jpg"]
    kind = "ad"
    final_path = f"/{seed.ACT_COFFEE_US}/ads"


class TestMetaVideoAd(SettlesLostCreates, PublisherContract):
    target = "meta_ad"
    media = ["reel.mp4"]
    kind = "ad"
    final_path = f"/{seed.ACT_COFFEE_US}/ads"
