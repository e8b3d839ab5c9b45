"""Exactly once without guessing (#14 item 20): a lost answer belongs to one publication only.

When Meta's answer to a create is lost, the publication looks for what its call made. Two
publications with the same caption to one account, or two captionless stories, must not adopt
each other's post: at most one create per (Meta account, kind) is in flight, a second one waits
(it is queued again, not failed), and only an object made while our create was in flight can be
adopted, and only if it is the one candidate; more than one goes to a person instead of a guess.
"""

import time
from datetime import timedelta

import pytest
import requests
from django.conf import settings
from django.utils import timezone

from meta_integration.graph import appsecret_proof
from meta_integration.models import MetaPage
from meta_sandbox import seed
from publishing import services
from publishing.locks import CreateSlot
from publishing.models import Publication
from tests.publishing.conftest import drive, make_publication

pytestmark = pytest.mark.django_db

SAME = "Same words, same account #coffee"
PAGE = seed.PAGE_COFFEE_ID
IG = seed.IG_COFFEE_ID


def _queued(owner, target, assets, **fields):
    publication = make_publication(owner, target, assets, **fields)
    return services.publish_publication(actor=owner, publication=publication)


def _step(publication):
    """Run one step of the publish job now, whatever wait it asked for."""
    Publication.objects.filter(pk=publication.pk).update(next_attempt_at=timezone.now())
    services.advance_publication(publication_id=publication.pk)
    publication.refresh_from_db()
    return publication


def _page_post(sandbox, message):
    """Someone else posts ``message`` to the Page (another tool, a person on Facebook)."""
    page_token = MetaPage.objects.filter(page_id=PAGE).first().access_token
    response = requests.post(
        f"{sandbox.graph_url}/{PAGE}/feed",
        data={
            "message": message,
            "access_token": page_token,
            "appsecret_proof": appsecret_proof(page_token, settings.META_APP_SECRET),
        },
        timeout=5,
    )
    assert response.status_code == 200, response.text
    return response.json()["id"]


def _lose_first_answer(sandbox, path):
    sandbox.state.add_fault(method="POST", path=path, drop=True, after_write=True, times=1)


def test_identical_captions_on_a_page_each_keep_their_own_post(connected, upload, sandbox):
    first = _queued(connected, "fb_post", [], title="First", caption=SAME, link_url="")
    second = _queued(connected, "fb_post", [], title="Second", caption=SAME, link_url="")
    _lose_first_answer(sandbox, f"/{PAGE}/feed")

    first = _step(first)  # its post is made; the answer is lost
    assert first.remote["pending"] == "feed"
    second = _step(second)  # the same account and kind: it must not send now

    assert second.status not in (Publication.Status.FAILED, Publication.Status.PUBLISHED)
    assert "pending" not in second.remote
    assert len(sandbox.state.describe_objects(kind="page_post")) == 1
    assert "Waiting for another publication" in second.message

    first = drive(first, sandbox)
    second = drive(second, sandbox)

    posts = [o["id"] for o in sandbox.state.describe_objects(kind="page_post")]
    assert first.status == second.status == Publication.Status.PUBLISHED
    assert len(posts) == 2
    assert (first.remote_id, second.remote_id) == (posts[0], posts[1])


def test_identical_captions_on_instagram_each_keep_their_own_media(connected, upload, sandbox):
    first = _queued(connected, "ig_feed", [upload(connected, "square.jpg")], caption=SAME)
    second = _queued(connected, "ig_feed", [upload(connected, "square.jpg")], caption=SAME)
    _lose_first_answer(sandbox, f"/{IG}/media_publish")

    first = drive(first, sandbox, until="pending")  # published; the answer is lost
    for _ in range(4):  # container, status, then the publish it must hold back
        second = _step(second)
    assert "media_id" not in second.remote
    first = drive(first, sandbox)
    second = drive(second, sandbox)

    media = {
        o["id"]: o["data"]["container_id"] for o in sandbox.state.describe_objects(kind="ig_media")
    }
    assert first.status == second.status == Publication.Status.PUBLISHED
    assert len(media) == 2
    assert media[first.remote_id] == first.remote["container_id"]
    assert media[second.remote_id] == second.remote["container_id"]


def test_captionless_stories_each_keep_their_own_story(connected, upload, sandbox):
    first = _queued(connected, "ig_story", [upload(connected, "reel.mp4")], caption="")
    second = _queued(connected, "ig_story", [upload(connected, "reel.mp4")], caption="")
    _lose_first_answer(sandbox, f"/{IG}/media_publish")

    first = drive(first, sandbox, until="pending")
    for _ in range(4):
        second = _step(second)
    assert "media_id" not in second.remote
    first = drive(first, sandbox)
    second = drive(second, sandbox)

    stories = {
        o["id"]: o["data"]["container_id"] for o in sandbox.state.describe_objects(kind="ig_media")
    }
    assert first.status == second.status == Publication.Status.PUBLISHED
    assert len(stories) == 2
    assert stories[first.remote_id] == first.remote["container_id"]
    assert stories[second.remote_id] == second.remote["container_id"]


def test_a_post_made_before_our_create_started_is_not_adopted(connected, sandbox, settings):
    publication = _queued(connected, "fb_post", [], caption=SAME, link_url="")
    # Dropped before Meta made anything: the answer is lost and nothing of ours exists.
    sandbox.state.add_fault(method="POST", path=f"/{PAGE}/feed", drop=True, times=1)
    publication = _step(publication)
    assert publication.remote["pending"] == "feed"
    # Long enough ago that the lost call can no longer land...
    window = settings.META_CONNECT_TIMEOUT + settings.META_READ_TIMEOUT + 10
    since = timezone.now() - timedelta(seconds=window)
    remote = {**publication.remote, "pending_since": since.isoformat()}
    Publication.objects.filter(pk=publication.pk).update(remote=remote)
    # ...and someone else posted the same words half a minute before it started.
    older = _page_post(sandbox, SAME)
    for obj in sandbox.state.objects.select(kind="page_post"):
        obj.created_at = sandbox.state.now() - window - 30

    publication = drive(publication, sandbox)

    assert publication.status == Publication.Status.PUBLISHED, publication.error_detail
    posts = [o["id"] for o in sandbox.state.describe_objects(kind="page_post")]
    assert len(posts) == 2
    assert publication.remote_id == posts[1] != older


def test_two_candidates_go_to_a_person_instead_of_a_guess(connected, sandbox):
    publication = _queued(connected, "fb_post", [], caption=SAME, link_url="")
    _lose_first_answer(sandbox, f"/{PAGE}/feed")
    publication = _step(publication)
    assert publication.remote["pending"] == "feed"
    _page_post(sandbox, SAME)  # someone posts the same words on the Page meanwhile

    publication = drive(publication, sandbox)

    assert publication.status == Publication.Status.FAILED
    assert publication.remote_id == ""
    assert "2 posts" in publication.error_detail
    assert "won't guess" in publication.error_detail
    assert len(sandbox.state.describe_objects(kind="page_post")) == 2
    # The account's next publication isn't held up by the failed one.
    following = drive(_queued(connected, "fb_post", [], caption="Next", link_url=""), sandbox)
    assert following.status == Publication.Status.PUBLISHED, following.error_detail


def test_the_slot_is_held_only_while_the_outcome_is_unknown(connected, sandbox):
    publication = _queued(connected, "fb_post", [], caption=SAME, link_url="")
    _lose_first_answer(sandbox, f"/{PAGE}/feed")

    publication = _step(publication)
    held = CreateSlot.objects.get(holder=publication)
    assert (held.account, held.kind) == (f"page:{PAGE}", "page_post")

    publication = drive(publication, sandbox)

    assert publication.status == Publication.Status.PUBLISHED
    assert not CreateSlot.objects.filter(holder=publication).exists()


def test_a_slot_left_by_a_finished_publication_is_taken_over(connected, sandbox):
    stale = _queued(connected, "fb_post", [], title="Stale", caption="Old", link_url="")
    CreateSlot.objects.create(
        account=f"page:{PAGE}", kind="page_post", holder=stale, since=timezone.now()
    )
    Publication.objects.filter(pk=stale.pk).update(status=Publication.Status.FAILED)
    publication = _queued(connected, "fb_post", [], caption=SAME, link_url="")

    publication = drive(publication, sandbox)

    assert publication.status == Publication.Status.PUBLISHED, publication.error_detail
    assert len(sandbox.state.describe_objects(kind="page_post")) == 1
    assert timezone.now() - publication.published_at < timedelta(minutes=1)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_each_keep_their_own_post(connected, sandbox, start_worker):
    """Real workers running both at once; whichever answer is lost, no post changes hands."""
    env = {"PUBLISH_LEASE_SECONDS": 2, "META_READ_TIMEOUT": 3}
    start_worker(**env)
    start_worker(purge=False, **env)
    fault = sandbox.state.add_fault(
        method="POST", path=f"/{PAGE}/feed", drop=True, after_write=True, times=1
    )
    # The same words; only the link (which the reconcile doesn't match on) tells them apart.
    ones = [
        _queued(
            connected,
            "fb_post",
            [],
            title=f"Twin {n}",
            caption=SAME,
            link_url=f"live:/privacy/?n={n}",
        )
        for n in (1, 2)
    ]

    def done():
        services.sweep_publications()
        return all(
            p.status in ("published", "failed")
            for p in Publication.objects.filter(pk__in=[o.pk for o in ones])
        )

    deadline = time.monotonic() + 90
    while not done() and time.monotonic() < deadline:
        time.sleep(0.5)

    posts = {o["id"]: o["data"]["link"] for o in sandbox.state.describe_objects(kind="page_post")}
    assert len(posts) == 2
    for publication in Publication.objects.filter(pk__in=[o.pk for o in ones]):
        assert publication.status == Publication.Status.PUBLISHED, publication.error_detail
        assert posts[publication.remote_id] == publication.link_url
    assert fault.hits == 1  # one answer really was lost on the way
