"""Promote a post (issue #18): an ad made from a published Page or Instagram post, as it is.

The promotion's creative names the post (``object_story_id``, or ``source_instagram_media_id``
with ``instagram_user_id``) and nothing is uploaded; its objective, audience, budget and dates
come from the ad form. Preflight refuses a post that isn't this workspace's, isn't published,
lost its account, or is gone from Meta. ``?promote=<pk>`` prefills the draft from the post (and
its campaign's brief), and a published post's page offers *Promote…*.
"""

import re
import time

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from campaigns.meta_vocabulary import Objective
from creatives.studio.models import Creative
from meta_integration.graph import GraphClient
from meta_integration.models import MetaAdAccount, MetaPage
from meta_sandbox import seed
from publishing import deletion, promotion, services
from publishing.errors import PublishingError
from publishing.forms import PublicationForm
from publishing.models import EDITABLE_FIELDS, Publication, PublicationAsset
from tests.conftest import client_for
from tests.factories import WorkspaceFactory
from tests.publishing.conftest import AD_FIELDS, accounts, drive, make_publication
from tests.publishing.test_targets import _approved_video

pytestmark = pytest.mark.django_db

PROMOTE = "meta_ad_promote"
AD = {k: v for k, v in AD_FIELDS.items() if k not in ("link_url", "cta_type")}
NEW = reverse("publishing:new", args=["acme"])


def _published(owner, upload, sandbox, target="fb_post", media=("square.jpg",), **fields):
    """A post published through ProSocial to the sandbox."""
    publication = make_publication(owner, target, [upload(owner, m) for m in media], **fields)
    publication = services.publish_publication(actor=owner, publication=publication)
    publication = drive(publication, sandbox)
    assert publication.status == Publication.Status.PUBLISHED, publication.error_detail
    return publication


def _promotion(owner, source, **fields):
    """A promotion of ``source`` saved through the service, every check run (network too)."""
    page, instagram = promotion.accounts_of(source)
    values = {
        "title": f"Promote: {source.title}",
        "target": PROMOTE,
        "caption": "",
        "promoted": source,
        "page": page,
        "instagram_account": instagram,
        "ad_account": accounts(owner.workspace)["ad_account"],
        **AD,
        "link_url": "",
        "cta_type": "",
        **fields,
    }
    publication = services.create_publication(actor=owner, fields=values, assets=[])
    services.run_full_preflight(publication_id=publication.pk)
    publication.refresh_from_db()
    return publication


def _failing(publication):
    return {r["key"]: r["message"] for r in publication.preflight if r["status"] == "fail"}


def _graph_posts(publication):
    return [e.path for e in publication.events.filter(kind="graph", method="POST")]


# --- the publisher, against the sandbox ----------------------------------------------------------


def test_a_page_post_is_promoted_by_its_story_id_with_nothing_uploaded(connected, upload, sandbox):
    source = _published(connected, upload, sandbox)
    promoted = _promotion(connected, source)
    assert _failing(promoted) == {}
    assert {r["key"] for r in promoted.preflight} >= {"promoted_post", "promoted_post_live"}

    promoted = services.publish_publication(actor=connected, publication=promoted)
    promoted = drive(promoted, sandbox)

    assert promoted.status == Publication.Status.PUBLISHED, promoted.error_detail
    story = source.remote["post_id"]
    assert promoted.remote["story_id"] == story
    act = seed.ACT_COFFEE_US
    assert _graph_posts(promoted) == [
        f"/{act}/adcreatives",
        f"/{act}/campaigns",
        f"/{act}/adsets",
        f"/{act}/ads",
    ]
    creative = promoted.events.get(path=f"/{act}/adcreatives")
    assert creative.params == {
        "name": f"Promote: {source.title}",
        "object_story_id": story,
        "access_token": "[redacted]",
        "appsecret_proof": "[redacted]",
    }
    made = sandbox.state.objects.by_id[promoted.remote["creative_id"]]
    assert (made.object_story_id, made.object_story_spec) == (story, None)
    assert sandbox.state.describe_objects(kind="ad_image") == []
    assert sandbox.state.describe_objects(kind="ad_video") == []
    assert promoted.remote["effective_object_story_id"] == story
    (campaign,) = sandbox.state.describe_objects(kind="campaign")
    assert campaign["data"]["objective"] == AD["objective"]
    (adset,) = sandbox.state.describe_objects(kind="adset")
    assert adset["data"]["daily_budget"] == AD["budget_minor"]
    assert PublicationAsset.objects.filter(publication=promoted).count() == 0


def test_an_instagram_post_is_promoted_by_its_media_id_with_a_button(connected, upload, sandbox):
    source = _published(connected, upload, sandbox, target="ig_feed")
    link = "https://shop.example.com/spring"
    promoted = _promotion(connected, source, link_url=link, cta_type="SHOP_NOW")
    assert "link" in {r["key"] for r in promoted.preflight}  # the link is fetched as for an ad
    promoted.preflight = [r for r in promoted.preflight if r["key"] != "link"]
    Publication.objects.filter(pk=promoted.pk).update(preflight=promoted.preflight)

    promoted = drive(services.publish_publication(actor=connected, publication=promoted), sandbox)

    assert promoted.status == Publication.Status.PUBLISHED, promoted.error_detail
    act = seed.ACT_COFFEE_US
    creative = promoted.events.get(path=f"/{act}/adcreatives")
    assert creative.params == {
        "name": f"Promote: {source.title}",
        "instagram_user_id": seed.IG_COFFEE_ID,
        "source_instagram_media_id": source.remote_id,
        "object_id": seed.PAGE_COFFEE_ID,
        "call_to_action": '{"type": "SHOP_NOW", "value": {"link": "' + link + '"}}',
        "access_token": "[redacted]",
        "appsecret_proof": "[redacted]",
    }
    made = sandbox.state.objects.by_id[promoted.remote["creative_id"]]
    assert (made.source_instagram_media_id, made.instagram_user_id) == (
        source.remote_id,
        seed.IG_COFFEE_ID,
    )
    # The inbox finds the ad's comments on the Instagram post itself.
    assert promoted.remote["effective_instagram_media_id"] == source.remote_id
    assert promoted.instagram_account_id == source.instagram_account_id
    assert sandbox.state.describe_objects(kind="ad_image") == []


def test_a_lost_creative_is_found_by_the_post_it_names(connected, upload, sandbox):
    source = _published(connected, upload, sandbox)
    promoted = _promotion(connected, source)
    sandbox.state.add_fault(
        method="POST", path=f"/{seed.ACT_COFFEE_US}/adcreatives", drop=True, after_write=True
    )

    promoted = drive(services.publish_publication(actor=connected, publication=promoted), sandbox)

    assert promoted.status == Publication.Status.PUBLISHED, promoted.error_detail
    assert len(sandbox.state.describe_objects(kind="ad_creative")) == 1
    assert promoted.events.filter(message__contains="not re-sending").count() == 1


def test_a_post_deleted_after_the_checks_fails_with_metas_reason(connected, upload, sandbox):
    source = _published(connected, upload, sandbox)
    promoted = services.publish_publication(
        actor=connected, publication=_promotion(connected, source)
    )
    sandbox.state.objects.by_id.pop(source.remote["post_id"])  # deleted on Facebook meanwhile

    promoted = drive(promoted, sandbox)

    assert promoted.status == Publication.Status.FAILED
    assert "does not exist" in promoted.error_detail
    assert sandbox.state.describe_objects(kind="campaign") == []


# --- preflight refuses what can't be promoted ------------------------------------------------------


def test_a_post_deleted_on_facebook_is_refused(connected, upload, sandbox):
    source = _published(connected, upload, sandbox)
    page = MetaPage.objects.get(page_id=seed.PAGE_COFFEE_ID)
    GraphClient(page.access_token).delete(f"/{source.remote['post_id']}")

    promoted = _promotion(connected, source)

    assert _failing(promoted) == {
        "promoted_post_live": f"“{source.title}” is gone from Facebook: it was deleted there, "
        "or the connected person can no longer see it."
    }
    with pytest.raises(PublishingError):
        services.publish_publication(actor=connected, publication=promoted)
    assert sandbox.state.describe_objects(kind="ad_creative") == []


def test_a_post_not_published_yet_is_refused(connected, upload, sandbox):
    draft = make_publication(connected, "fb_post", [upload(connected, "square.jpg")])

    promoted = _promotion(connected, draft)

    assert _failing(promoted) == {
        "promoted_post": f"“{draft.title}” isn't published yet: promote it once it is live."
    }


def test_another_workspaces_post_is_refused(connected, sandbox):
    theirs = Publication.objects.create(
        workspace=WorkspaceFactory(slug="theirs"),
        title="Their post",
        target="fb_post",
        status=Publication.Status.PUBLISHED,
        remote_id=f"{seed.PAGE_COFFEE_ID}_5000000000000009",
        published_at=timezone.now(),
    )

    promoted = _promotion(
        connected, theirs, page=accounts(connected.workspace)["page"], instagram_account=None
    )

    assert _failing(promoted) == {
        "promoted_post": "The post to promote belongs to another workspace."
    }


def test_a_post_deleted_from_prosocial_is_refused(connected, upload, sandbox):
    source = _published(connected, upload, sandbox)
    promoted = _promotion(connected, source)

    deletion.delete_publication(actor=connected, publication=source)
    promoted.refresh_from_db()
    services.run_full_preflight(publication_id=promoted.pk)
    promoted.refresh_from_db()

    assert promoted.promoted_id is None
    assert _failing(promoted) == {
        "promoted_post": "The post to promote was deleted from ProSocial."
    }


def test_a_video_post_whose_post_meta_doesnt_name_is_refused(connected, upload, sandbox):
    source = _published(connected, upload, sandbox, media=("reel.mp4",))
    assert "post_id" not in source.remote  # a Page video records the video's id

    promoted = _promotion(connected, source)

    assert list(_failing(promoted)) == ["promoted_post_live"]
    assert (
        "doesn't say which Page post carries the video" in _failing(promoted)["promoted_post_live"]
    )


def test_a_page_that_cant_advertise_is_refused(connected, upload, sandbox):
    source = _published(connected, upload, sandbox)
    MetaPage.objects.filter(pk=source.page_id).update(tasks=["CREATE_CONTENT", "ANALYZE"])

    promoted = _promotion(connected, source)

    assert _failing(promoted) == {
        "promoted_post": "The connected person's role on Rivera Coffee Roasters doesn't allow "
        "advertising."
    }


def test_a_facebook_post_keeps_its_own_link_and_button(connected, upload, sandbox):
    source = _published(connected, upload, sandbox)

    promoted = _promotion(connected, source, link_url="https://shop.example.com/", cta_type="")

    assert "keeps its own link and button" in _failing(promoted)["promoted_post"]


def test_an_unselected_account_is_refused(connected, upload, sandbox):
    source = _published(connected, upload, sandbox, target="ig_feed")
    source.instagram_account.__class__.objects.filter(pk=source.instagram_account_id).update(
        is_selected=False
    )

    promoted = _promotion(connected, source)

    assert _failing(promoted)["promoted_post"] == (
        f"The Instagram account that published “{source.title}” isn't connected to this "
        "workspace any more."
    )


def test_the_ad_checks_apply_as_to_any_ad(connected, upload, sandbox):
    source = _published(connected, upload, sandbox)

    promoted = _promotion(connected, source, budget_minor=1, special_ad_categories=[])

    failing = _failing(promoted)
    assert failing["ad_budget"].startswith("The budget is below the minimum")
    assert "ad_categories" in failing


def test_files_are_refused_on_a_promotion(connected, upload, sandbox):
    source = _published(connected, upload, sandbox)
    form = PublicationForm(
        {**_form_data(connected, source), "item_1": upload(connected, "square.jpg").pk},
        membership=connected,
    )

    assert form.errors == {
        "item_1": ["A promoted post takes no files: the post is shown as it is."]
    }


# --- the editor: ?promote= and the form ------------------------------------------------------------


def _form_data(owner, source, **overrides):
    data = {
        "title": "Promote it",
        "target": PROMOTE,
        "promoted": source.pk,
        "ad_account": MetaAdAccount.objects.get(ad_account_id=seed.ACT_COFFEE_US).pk,
        "objective": "OUTCOME_ENGAGEMENT",
        "budget_type": "daily",
        "budget": "25",
        "special_ad_categories": ["NONE"],
        "countries": "US",
        "age_min": "21",
        "age_max": "55",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_the_editor_saves_a_promotion_with_the_posts_account(connected, upload, sandbox):
    source = _published(connected, upload, sandbox, target="ig_feed")

    response = client_for(connected).post(NEW, _form_data(connected, source))

    assert response.status_code == 302
    promoted = Publication.objects.get(target=PROMOTE)
    assert (promoted.promoted_id, promoted.page_id, promoted.instagram_account_id) == (
        source.pk,
        source.instagram_account.page_id,
        source.instagram_account_id,
    )
    assert (promoted.caption, promoted.budget_minor, promoted.objective) == (
        "",
        2500,
        "OUTCOME_ENGAGEMENT",
    )
    form = PublicationForm(membership=connected, publication=promoted)
    assert set(form.initial) >= set(EDITABLE_FIELDS) - {"budget_minor", "targeting"}
    assert form.initial["promoted"] == source


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"promoted": None}, "promoted", "Choose the published post to promote."),
        ({"promoted": "-1"}, "promoted", "Select a valid choice."),
        ({"link_url": "https://shop.example.com/"}, "link_url", "keeps its own link and button"),
        ({"ad_account": None}, "ad_account", "Choose the ad account"),
        ({"budget": None}, "budget", "Enter the budget."),
    ],
)
def test_bad_promotion_input_is_422_and_writes_nothing(
    connected, upload, sandbox, overrides, field, message
):
    source = _published(connected, upload, sandbox)
    before = Publication.objects.count()

    response = client_for(connected).post(NEW, _form_data(connected, source, **overrides))

    assert response.status_code == 422
    errors = response.context["form"].errors
    assert any(message in error for error in errors[field]), errors
    assert Publication.objects.count() == before


def test_another_workspaces_publication_cant_be_chosen(connected, outsider, sandbox):
    theirs = Publication.objects.create(
        workspace=outsider.workspace,
        title="Their post",
        target="fb_post",
        status=Publication.Status.PUBLISHED,
        remote_id=f"{seed.PAGE_COFFEE_ID}_5000000000000009",
    )

    response = client_for(connected).post(NEW, _form_data(connected, theirs))

    assert response.status_code == 422
    assert response.context["form"].errors["promoted"] == [
        "Select a valid choice. That choice is not one of the available choices."
    ]
    assert Publication.objects.filter(target=PROMOTE).count() == 0


def test_promote_prefills_the_draft_from_the_post(connected, upload, sandbox):
    source = _published(connected, upload, sandbox)

    response = client_for(connected).get(f"{NEW}?promote={source.pk}")

    assert response.status_code == 200
    initial = response.context["form"].initial
    assert {k: initial[k] for k in ("title", "target", "promoted", "objective")} == {
        "title": f"Promote: {source.title}",
        "target": PROMOTE,
        "promoted": source.pk,
        "objective": Objective.ENGAGEMENT.value,
    }
    option = rf'<option value="{source.pk}" selected\s*>Launch fb_post \(Facebook Page post · '
    assert re.search(option + "Rivera Coffee Roasters · ", response.content.decode())


def test_promote_brings_the_briefs_audience_for_a_campaigns_video(connected, upload, sandbox):
    creative = _approved_video(connected, "4:5")
    cohort = creative.script.cohort
    cohort.countries, cohort.age_min, cohort.age_max, cohort.genders = ["DE"], 25, 44, [2]
    cohort.save(update_fields=["countries", "age_min", "age_max", "genders"])
    creative.script.campaign.objective = Objective.TRAFFIC
    creative.script.campaign.save(update_fields=["objective"])
    source = _published(connected, upload, sandbox, target="ig_feed")
    # The published post carries the studio's video (rows only: what matters is the link).
    Creative.objects.filter(pk=creative.pk).update(asset=source.items.get().asset)

    response = client_for(connected).get(f"{NEW}?promote={source.pk}")

    initial = response.context["form"].initial
    wanted = ("objective", "countries", "age_min", "age_max", "genders", "link_url", "cta_type")
    assert {k: initial[k] for k in wanted} == {
        "objective": "OUTCOME_TRAFFIC",
        "countries": "DE",
        "age_min": 25,
        "age_max": 44,
        "genders": "2",
        "link_url": "https://shop.example.com/spring",
        "cta_type": "SHOP_NOW",
    }


def test_promote_of_a_draft_says_why_and_prefills_nothing(connected, upload, sandbox):
    draft = make_publication(connected, "fb_post", [upload(connected, "square.jpg")])

    response = client_for(connected).get(f"{NEW}?promote={draft.pk}")

    assert response.status_code == 200
    assert "promoted" not in response.context["form"].initial
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        f"“{draft.title}” isn't published yet: promote it once it is live."
    ]


@pytest.mark.parametrize("value", ["abc", "-1", "1" * 40, "١٢"])
def test_promote_ignores_what_isnt_a_number(connected, value):
    response = client_for(connected).get(f"{NEW}?promote={value}")

    assert response.status_code == 200
    assert "promoted" not in response.context["form"].initial


@pytest.mark.parametrize(
    ("_case", "persona", "status"),
    [
        ("owner prefills", "owner", 200),
        ("admin prefills", "admin", 200),
        ("editor prefills", "editor", 200),
        ("viewer may not draft", "viewer", 403),
        ("outsider sees nothing", "outsider", 404),
    ],
)
def test_who_can_open_a_promotion(cast, connected, upload, sandbox, _case, persona, status):
    source = _published(connected, upload, sandbox)
    member = cast[persona]
    before = Publication.objects.count()

    response = client_for(member).get(
        reverse("publishing:new", args=[member.workspace.slug]) + f"?promote={source.pk}"
    )

    assert response.status_code == status
    if status == 200:
        assert response.context["form"].initial["promoted"] == source.pk
    assert Publication.objects.count() == before


def test_only_a_live_organic_post_offers_promote_to_editors(cast, connected, upload, sandbox):
    source = _published(connected, upload, sandbox)
    story = _published(connected, upload, sandbox, target="ig_story", media=("reel.mp4",))
    draft = make_publication(connected, "fb_post", [upload(connected, "square.jpg")])
    button = 'data-testid="promote-publication"'

    def shown(member, publication):
        url = reverse("publishing:detail", args=["acme", publication.pk])
        return button in client_for(member).get(url).content.decode()

    assert shown(cast["editor"], source)
    assert (
        f'href="{NEW}?promote={source.pk}"'
        in client_for(cast["editor"])
        .get(reverse("publishing:detail", args=["acme", source.pk]))
        .content.decode()
    )
    assert not shown(cast["viewer"], source)
    assert not shown(cast["editor"], story)
    assert not shown(cast["editor"], draft)
    promoted = drive(
        services.publish_publication(actor=connected, publication=_promotion(connected, source)),
        sandbox,
    )
    assert not shown(cast["editor"], promoted)
    page = client_for(cast["editor"]).get(reverse("publishing:detail", args=["acme", promoted.pk]))
    assert 'data-testid="promoted-post"' in page.content.decode()
    assert "Open it in Ads Manager" in page.content.decode()


# --- a real worker --------------------------------------------------------------------------------


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_publishes_a_promotion(connected, upload, sandbox, start_worker):
    source = _published(connected, upload, sandbox)
    promoted = _promotion(connected, source)
    start_worker()

    services.publish_publication(actor=connected, publication=promoted)
    deadline = time.monotonic() + 60
    while promoted.status not in ("published", "failed"):
        assert time.monotonic() < deadline, (promoted.status, promoted.remote)
        time.sleep(0.3)
        promoted.refresh_from_db()

    assert promoted.status == Publication.Status.PUBLISHED, promoted.error_detail
    (creative,) = sandbox.state.describe_objects(kind="ad_creative")
    assert creative["id"] == promoted.remote["creative_id"]
    made = sandbox.state.objects.by_id[creative["id"]]
    assert made.object_story_id == source.remote["post_id"]
    assert len(sandbox.state.describe_objects(kind="ad")) == 1
