"""One draft to Facebook and Instagram at once (issue #13): two linked publications.

The new-publication form's "Also post to" makes a second publication with the same caption and
files, its own target, account and checks; each publishes on its own through the sandbox, and
one failing doesn't block the other.
"""

import pytest
from django.urls import reverse

from meta_integration.models import InstagramAccount, MetaAdAccount, MetaPage
from meta_sandbox import seed
from publishing import services, siblings
from publishing.models import Publication
from tests.conftest import client_for
from tests.publishing.conftest import drive

pytestmark = pytest.mark.django_db


def url(name, *args):
    return reverse(f"publishing:{name}", args=["acme", *args])


@pytest.fixture
def accounts(connected):
    return {
        "page": MetaPage.objects.get(page_id=seed.PAGE_COFFEE_ID),
        "ig": InstagramAccount.objects.get(ig_user_id=seed.IG_COFFEE_ID),
        "ad": MetaAdAccount.objects.get(ad_account_id=seed.ACT_COFFEE_US),
    }


@pytest.fixture
def square(connected, upload):
    return upload(connected, "square.jpg")


def _data(accounts, square, **overrides):
    return {
        "title": "Spring beans",
        "target": "fb_post",
        "also_target": "ig_feed",
        "caption": "Spring beans are here #coffee",
        "page": accounts["page"].pk,
        "instagram_account": accounts["ig"].pk,
        "item_1": square.pk,
        **overrides,
    }


def test_also_post_to_makes_two_linked_publications_with_their_own_checks(
    connected, accounts, square
):
    response = client_for(connected).post(url("new"), _data(accounts, square))

    assert response.status_code == 302, response.content.decode()[:2000]
    fb, ig = Publication.objects.order_by("created_at", "id")
    assert (fb.target, ig.target) == ("fb_post", "ig_feed")
    assert fb.sibling_group is not None
    assert fb.sibling_group == ig.sibling_group
    assert response["Location"] == url("detail", fb.pk)
    # Same text and files, each with its own account.
    assert fb.caption == ig.caption == "Spring beans are here #coffee"
    assert (
        [i.asset_id for i in fb.items.all()] == [i.asset_id for i in ig.items.all()] == [square.pk]
    )
    assert fb.page == accounts["page"]
    assert fb.instagram_account is None
    assert ig.instagram_account == accounts["ig"]
    assert ig.page == accounts["page"]
    # Each has its own checks, for its own target.
    fb_checks = {c["key"] for c in fb.preflight}
    ig_checks = {c["key"] for c in ig.preflight}
    assert fb.preflight
    assert ig.preflight
    assert fb_checks != ig_checks
    assert list(siblings.list_siblings(fb)) == [ig]
    assert list(siblings.list_siblings(ig)) == [fb]


def test_the_link_and_button_stay_with_the_facebook_post(connected, accounts, square):
    data = _data(accounts, square, link_url="https://shop.example.com/spring", cta_type="")

    response = client_for(connected).post(url("new"), data)

    assert response.status_code == 302
    fb = Publication.objects.get(target="fb_post")
    ig = Publication.objects.get(target="ig_feed")
    assert fb.link_url == "https://shop.example.com/spring"
    assert ig.link_url == ""
    assert ig.cta_type == ""


def test_detail_shows_the_sibling_side_by_side(connected, accounts, square):
    client = client_for(connected)
    client.post(url("new"), _data(accounts, square))
    fb, ig = Publication.objects.order_by("created_at", "id")

    page = client.get(url("detail", fb.pk)).content.decode()

    assert 'data-testid="siblings"' in page
    assert 'data-testid="sibling-ig_feed"' in page
    assert url("detail", ig.pk) in page


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"also_target": "fb_reel"}, "also_target", "Choose an Instagram target"),
        ({"instagram_account": ""}, "instagram_account", "Choose the Instagram account."),
        # A Facebook post may be text only; the Instagram feed post needs the file.
        ({"item_1": ""}, "item_1", "Instagram feed post"),
        ({"caption": "x" * 2300}, "caption", "an Instagram feed post takes at most 2,200"),
    ],
)
def test_the_second_publication_is_checked_too_and_nothing_is_written(
    connected, accounts, square, overrides, field, message
):
    response = client_for(connected).post(url("new"), _data(accounts, square, **overrides))

    assert response.status_code == 422
    errors = response.context["form"].errors
    assert any(message in error for error in errors[field]), errors
    assert Publication.objects.count() == 0


def test_editing_offers_no_second_publication(connected, accounts, square):
    client = client_for(connected)
    client.post(url("new"), _data(accounts, square, also_target=""))
    publication = Publication.objects.get()

    page = client.get(url("edit", publication.pk)).content.decode()

    assert publication.sibling_group is None
    assert 'name="also_target"' not in page


def test_each_publishes_through_the_sandbox_and_one_failing_does_not_block_the_other(
    connected, accounts, square, sandbox
):
    client_for(connected).post(url("new"), _data(accounts, square))
    fb, ig = Publication.objects.order_by("created_at", "id")
    for publication in (fb, ig):
        services.run_full_preflight(publication_id=publication.pk)
        publication.refresh_from_db()
        assert [c for c in publication.preflight if c["status"] == "fail"] == []
    # Instagram refuses its container (a permanent error); Facebook is unaffected.
    sandbox.state.add_fault(
        method="POST", path=f"/{seed.IG_COFFEE_ID}/media", error={"code": 100}, times=5
    )

    ig = drive(services.publish_publication(actor=connected, publication=ig), sandbox)
    fb = drive(services.publish_publication(actor=connected, publication=fb), sandbox)

    assert ig.status == Publication.Status.FAILED
    assert fb.status == Publication.Status.PUBLISHED, fb.error_detail
    assert fb.permalink.startswith("https://www.facebook.com/")
    posts = sandbox.state.describe_objects(kind="page_photo")
    assert len(posts) == 1

    # Retried once Instagram answers again: it publishes on its own.
    sandbox.state.clear_faults()
    ig = drive(services.retry_publication(actor=connected, publication=ig), sandbox)
    assert ig.status == Publication.Status.PUBLISHED, ig.error_detail
    assert ig.permalink.startswith("https://www.instagram.com/")
