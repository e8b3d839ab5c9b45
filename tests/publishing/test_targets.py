"""What each target needs (``publishing.targets``), and everything that reads it.

The table is complete; the editor and preflight refuse the same drafts for the same reason; the
"publish this video" prefill picks the target the table names for its aspect ratio; and what
the table promises a Facebook post carries (link, button) is what the publisher sends.
"""

import json

import pytest
from django.utils import timezone

from campaigns.models import AudienceCohort, Campaign
from creatives.library.media.specs import PLACEMENTS
from creatives.library.models import MediaAsset
from creatives.studio import generation
from creatives.studio.models import ASPECTS, Creative, Script, ScriptVersion
from meta_integration.models import InstagramAccount, MetaAdAccount, MetaPage
from meta_sandbox import seed
from publishing import checks, services
from publishing.admin import PublicationAdmin
from publishing.forms import SHOWN_FOR, PublicationForm
from publishing.models import ACCOUNT_FIELDS, EDITABLE_FIELDS, Publication, Target
from publishing.preflight import preflight_blockers
from publishing.targets import (
    IMAGE,
    MAX_ITEMS,
    TARGETS,
    TEXT,
    VIDEO,
    item_problems,
    link_problems,
    target_for_aspect,
)
from tests.conftest import client_for
from tests.meta_integration.helpers import connect
from tests.publishing.conftest import AD_FIELDS, accounts, drive, make_publication

pytestmark = pytest.mark.django_db

LINK = "https://shop.example.com/spring"
# Targets that publish files (all but a promoted post, which runs a published post as it is:
# tests/publishing/test_promote.py).
MEDIA_TARGETS = [t for t in Target if TARGETS[t].max_items]


@pytest.fixture
def meta(owner, sandbox):
    """The workspace connected to the sandbox, every Page / IG account / ad account chosen."""
    connect(client_for(owner), sandbox)
    for model in (MetaPage, InstagramAccount, MetaAdAccount):
        model.objects.filter(workspace=owner.workspace).update(is_selected=True)
    return accounts(owner.workspace)


def _files(workspace, kind, count):
    """``count`` ready files of ``kind`` (rows only: the rules read kinds, not bytes)."""
    return [
        MediaAsset.objects.create(
            workspace=workspace,
            kind=kind,
            status=MediaAsset.Status.READY,
            original_filename=f"{kind}-{n}.{'mp4' if kind == VIDEO else 'jpg'}",
            storage_key=f"{workspace.slug}/{kind}-{n}",
            content_type="video/mp4" if kind == VIDEO else "image/jpeg",
            width=1080,
            height=1920,
        )
        for n in range(count)
    ]


def _form(owner, meta, target, files, **data):
    values = {
        "title": f"Spring {target}",
        "target": target,
        "caption": "Spring beans are here",
        "page": meta["page"].pk,
        "instagram_account": meta["instagram_account"].pk,
        "ad_account": meta["ad_account"].pk,
        **{f"item_{n}": asset.pk for n, asset in enumerate(files, start=1)},
        **data,
    }
    form = PublicationForm(values, membership=owner)
    form.is_valid()
    return form


def _draft(owner, meta, target, files, **fields):
    """A draft saved through the service (no editor), with the inline checks run."""
    values = {
        "title": f"Spring {target}",
        "target": target,
        "caption": "Spring beans are here",
        **meta,
        **(AD_FIELDS if target == Target.META_AD else {}),
        "link_url": LINK if target == Target.META_AD else "",
        "cta_type": "",
        **fields,
    }
    return services.create_publication(actor=owner, fields=values, assets=files)


def _check(publication, key):
    return [r for r in publication.preflight if r["key"] == key]


def _sandbox_objects(sandbox, kind):
    return sandbox.state.describe_objects(kind=kind)


def _publish(membership, publication, sandbox):
    blockers = [r["message"] for r in publication.preflight if r["status"] == "fail"]
    assert blockers == []
    publication = services.publish_publication(actor=membership, publication=publication)
    publication = drive(publication, sandbox)
    assert publication.status == Publication.Status.PUBLISHED, publication.error_detail
    return publication


# --- the table -----------------------------------------------------------------------------------


def test_every_target_has_an_entry():
    assert list(TARGETS) == list(Target)


@pytest.mark.parametrize("target", list(Target))
def test_each_entry_is_consistent(target):
    spec = TARGETS[target]

    assert (spec.target, spec.label) == (target, Target(target).label)
    assert spec.help
    assert spec.noun
    assert spec.accounts
    assert set(spec.accounts) <= set(ACCOUNT_FIELDS)
    assert bool(spec.media_kinds) == bool(spec.max_items) == bool(spec.aspects)
    assert spec.media_kinds <= {IMAGE, VIDEO}
    assert 0 <= spec.min_items <= spec.max_items <= MAX_ITEMS
    for placements in (spec.placements, spec.story_placements):
        assert set(placements) in (set(), set(spec.media_kinds))
        for kind, key in placements.items():
            assert PLACEMENTS[key].kinds == {kind}
    assert set(spec.drafts_for) <= set(spec.aspects)
    assert spec.takes_link or not (spec.link_required or spec.takes_cta)
    assert spec.cta_with <= {TEXT, IMAGE, VIDEO}
    assert TEXT not in spec.cta_with or spec.min_items == 0


@pytest.mark.parametrize("aspect", ASPECTS)
def test_each_studio_aspect_drafts_one_target_whose_spec_the_video_was_made_for(aspect):
    drafting = [t for t, spec in TARGETS.items() if aspect in spec.drafts_for]

    assert drafting == [target_for_aspect(aspect)]
    # The studio renders each aspect to the placement this target checks its videos against.
    assert TARGETS[drafting[0]].placements[VIDEO] == generation.PLACEMENT_FOR_ASPECT[aspect]


def test_the_editor_shows_each_input_for_the_targets_that_use_it():
    assert SHOWN_FOR == {
        "page": "fb_post fb_reel meta_ad",
        "instagram_account": "ig_feed ig_carousel ig_reel ig_story",
        "ad_account": "meta_ad meta_ad_promote",
        "more_items": "fb_post ig_carousel",  # a Facebook post takes several photos
        "cover": "ig_reel",
        "link": "fb_post meta_ad meta_ad_promote",
        "content": "fb_post fb_reel ig_feed ig_carousel ig_reel ig_story meta_ad",
        "promoted": "meta_ad_promote",
    }


def test_the_editable_fields_are_defined_once():
    admin_fields = {name for _, options in PublicationAdmin.fieldsets for name in options["fields"]}

    assert services.EDITABLE_FIELDS is EDITABLE_FIELDS
    assert set(EDITABLE_FIELDS) <= admin_fields
    assert len(set(EDITABLE_FIELDS)) == len(EDITABLE_FIELDS)


@pytest.mark.parametrize("target", MEDIA_TARGETS)
def test_the_editor_saves_exactly_the_editable_fields(owner, meta, target):
    spec = TARGETS[target]
    files = _files(owner.workspace, VIDEO, max(spec.min_items, 1))
    extra = {}
    if target == Target.META_AD:
        extra = {
            "link_url": LINK,
            "objective": "OUTCOME_TRAFFIC",
            "budget_type": "daily",
            "budget": "25",
            "special_ad_categories": ["NONE"],
            "countries": "US",
        }

    form = _form(owner, meta, target, files, **extra)

    assert form.errors == {}
    assert set(form.publication_fields()) == set(EDITABLE_FIELDS)
    publication = services.create_publication(
        actor=owner, fields=form.publication_fields(), assets=form.items()
    )
    initial = PublicationForm.initial_from(publication, files)
    assert set(EDITABLE_FIELDS) - set(initial) == {"budget_minor", "targeting"}


# --- the editor and preflight refuse the same drafts for the same reason -----------------------

COUNT_CASES = [
    (target, count)
    for target, spec in TARGETS.items()
    for count in (spec.min_items - 1, spec.max_items + 1)
    if count >= 0 and spec.max_items
]


@pytest.mark.parametrize(("target", "count"), COUNT_CASES)
def test_one_file_too_few_or_too_many_is_refused_by_both(owner, meta, target, count):
    spec = TARGETS[target]
    files = _files(owner.workspace, VIDEO, count)
    (problem,) = item_problems(spec, [VIDEO] * count, has_text=True)

    if count <= MAX_ITEMS:
        assert _form(owner, meta, target, files).errors["item_1"] == [problem.message]
    else:  # the editor has no slot for one more: it can't be entered
        assert f"item_{count}" not in PublicationForm(membership=owner).fields
    (result,) = _check(_draft(owner, meta, target, files), "media_count")

    assert (result["status"], result["message"]) == ("fail", problem.preflight_message)
    assert problem.message in result["message"]
    assert spec.count_rule == problem.message


@pytest.mark.parametrize(
    "target", [t for t in MEDIA_TARGETS if IMAGE not in TARGETS[t].media_kinds]
)
def test_an_image_for_a_video_only_target_is_refused_by_both(owner, meta, target):
    files = _files(owner.workspace, IMAGE, 1)
    (problem,) = item_problems(TARGETS[target], [IMAGE], has_text=True)

    assert _form(owner, meta, target, files).errors["item_1"] == [problem.message]
    (result,) = _check(_draft(owner, meta, target, files), "media_count")
    assert (result["status"], result["message"]) == ("fail", problem.preflight_message)


def test_a_facebook_post_without_files_needs_text_in_both(owner, meta):
    (problem,) = item_problems(TARGETS[Target.FB_POST], [], has_text=False)

    form = _form(owner, meta, Target.FB_POST, [], caption="")
    (result,) = _check(_draft(owner, meta, Target.FB_POST, [], caption=""), "media_count")

    assert form.errors["caption"] == [problem.message]
    assert (result["status"], result["message"]) == ("fail", problem.message)


@pytest.mark.parametrize("target", MEDIA_TARGETS)
def test_a_link_is_refused_by_both_where_the_target_takes_none(owner, meta, target):
    spec = TARGETS[target]
    files = _files(owner.workspace, VIDEO, max(spec.min_items, 1))

    form = _form(owner, meta, target, files, link_url=LINK)
    results = _check(_draft(owner, meta, target, files, link_url=LINK), "link_use")

    if spec.takes_link:
        assert "link_url" not in form.errors
        assert [r["status"] for r in results] == ["ok"]
    else:
        (problem,) = link_problems(spec, link=LINK, cta="", kinds=[VIDEO])
        assert form.errors["link_url"] == [problem.message]
        assert [(r["status"], r["message"]) for r in results] == [("fail", problem.message)]


@pytest.mark.parametrize(
    ("target", "kind", "refused"),
    [
        (Target.FB_POST, VIDEO, False),
        (Target.META_AD, IMAGE, False),
        (Target.IG_REEL, VIDEO, True),
        (Target.FB_REEL, VIDEO, True),
    ],
)
def test_a_button_is_refused_by_both_where_it_cannot_be_sent(owner, meta, target, kind, refused):
    files = _files(owner.workspace, kind, 1)
    link = LINK if TARGETS[target].takes_link else ""

    form = _form(owner, meta, target, files, link_url=link, cta_type="SHOP_NOW")
    publication = _draft(owner, meta, target, files, link_url=link, cta_type="SHOP_NOW")
    results = _check(publication, "link_use")

    if refused:
        (problem,) = link_problems(TARGETS[target], link=link, cta="SHOP_NOW", kinds=[kind])
        assert form.errors["cta_type"] == [problem.message]
        assert [(r["status"], r["message"]) for r in results] == [("fail", problem.message)]
    else:
        assert "cta_type" not in form.errors
        assert [r["status"] for r in results] == ["ok"]


def test_a_button_without_a_link_is_refused_by_both(owner, meta):
    files = _files(owner.workspace, VIDEO, 1)
    (problem,) = link_problems(TARGETS[Target.FB_POST], link="", cta="SHOP_NOW", kinds=[VIDEO])

    form = _form(owner, meta, Target.FB_POST, files, cta_type="SHOP_NOW")
    publication = _draft(owner, meta, Target.FB_POST, files, cta_type="SHOP_NOW")

    assert form.errors["cta_type"] == [problem.message]
    assert [(r["status"], r["message"]) for r in _check(publication, "link_use")] == [
        ("fail", problem.message)
    ]


def test_a_button_on_a_facebook_photo_post_is_saved_but_blocks_publishing(owner, meta):
    """/photos has no call_to_action (issue #13); swapping in a video would make it fine."""
    files = _files(owner.workspace, IMAGE, 1)
    (problem,) = link_problems(TARGETS[Target.FB_POST], link=LINK, cta="SHOP_NOW", kinds=[IMAGE])

    form = _form(owner, meta, Target.FB_POST, files, link_url=LINK, cta_type="SHOP_NOW")
    publication = _draft(owner, meta, Target.FB_POST, files, link_url=LINK, cta_type="SHOP_NOW")

    assert problem.draft_ok
    assert form.errors == {}
    assert [(r["status"], r["message"]) for r in _check(publication, "link_use")] == [
        ("fail", "A Facebook post with an image can't carry a button; choose “No button”.")
    ]
    assert problem.message in preflight_blockers(publication)


def test_an_ad_without_a_link_is_refused_by_both(owner, meta):
    files = _files(owner.workspace, IMAGE, 1)
    (problem,) = link_problems(TARGETS[Target.META_AD], link="", cta="", kinds=[IMAGE])

    form = _form(owner, meta, Target.META_AD, files)
    (result,) = _check(_draft(owner, meta, Target.META_AD, files, link_url=""), "link_use")

    assert form.errors["link_url"] == [problem.message]
    assert (result["status"], result["message"]) == ("fail", problem.message)


def test_preflight_does_not_fetch_a_link_the_target_cannot_send(owner, meta):
    publication = _draft(
        owner, meta, Target.IG_FEED, _files(owner.workspace, IMAGE, 1), link_url=LINK
    )

    assert checks.check_link(publication) == []


def test_a_refused_link_stays_visible_in_the_editor(owner, meta):
    (reel,) = _files(owner.workspace, VIDEO, 1)
    data = {
        "title": "Launch",
        "target": "ig_reel",
        "instagram_account": meta["instagram_account"].pk,
        "item_1": reel.pk,
        "link_url": LINK,
    }

    response = client_for(owner).post("/w/acme/publish/new/", data)

    assert response.status_code == 422
    html = response.content.decode()
    assert "An Instagram reel takes no link; clear it." in html
    assert f'data-targets="{SHOWN_FOR["link"]}"' not in html


def test_a_story_caption_is_flagged_as_not_published(owner, meta):
    publication = _draft(owner, meta, Target.IG_STORY, _files(owner.workspace, VIDEO, 1))

    (result,) = _check(publication, "caption")

    assert result["status"] == "warn"
    assert result["message"] == "Instagram story shows no caption; this text isn't published."


# --- a draft from an approved studio video ---------------------------------------------------------


def _approved_video(editor, aspect):
    workspace = editor.workspace
    campaign = Campaign.objects.create(
        workspace=workspace,
        created_by=editor.user,
        name="Trail launch",
        product_name="Acme Trail Shoes",
        key_message="Grip that holds on wet rock.",
        product_url=LINK,
        call_to_action="SHOP_NOW",
    )
    cohort = AudienceCohort.objects.create(campaign=campaign, name="Weekend hikers")
    script = Script.objects.create(campaign=campaign, cohort=cohort, number=1)
    version = ScriptVersion.objects.create(
        script=script,
        number=1,
        origin=ScriptVersion.Origin.AI,
        hook="Wet rock?",
        body="No problem.",
        cta="Shop now.",
        voiceover="Wet rock? No problem.",
        caption="Grip that holds.",
    )
    Script.objects.filter(pk=script.pk).update(current=version)
    (video,) = _files(workspace, VIDEO, 1)
    return Creative.objects.create(
        script=script,
        aspect=aspect,
        asset=video,
        approved_at=timezone.now(),
        approved_by=editor.user,
    )


@pytest.mark.parametrize(
    ("aspect", "expected"), [("9:16", "ig_reel"), ("1:1", "ig_feed"), ("4:5", "ig_feed")]
)
def test_a_studio_video_drafts_the_target_the_table_names(editor, aspect, expected):
    creative = _approved_video(editor, aspect)

    response = client_for(editor).get(f"/w/acme/publish/new/?creative={creative.pk}")

    assert response.status_code == 200
    initial = response.context["form"].initial
    assert initial["target"] == target_for_aspect(aspect) == expected
    assert initial["item_1"] == creative.asset_id
    # Neither Instagram target can send the brief's link or button: they aren't prefilled.
    assert "link_url" not in initial
    assert "cta_type" not in initial


# --- issue #13: a Facebook photo or video post sends its link (and a video its button) -------------


def test_a_facebook_photo_post_sends_its_link_in_the_caption(connected, upload, sandbox):
    publication = make_publication(
        connected, "fb_post", [upload(connected, "square.jpg")], link_url="live:/privacy/"
    )

    publication = _publish(connected, publication, sandbox)

    (photo,) = _sandbox_objects(sandbox, "page_photo")
    assert photo["data"]["caption"] == f"{publication.caption}\n\n{publication.link_url}"


def test_a_facebook_video_post_sends_its_link_and_its_button(connected, upload, sandbox):
    publication = make_publication(
        connected,
        "fb_post",
        [upload(connected, "reel.mp4")],
        link_url="live:/privacy/",
        cta_type="SHOP_NOW",
    )

    publication = _publish(connected, publication, sandbox)

    (video,) = _sandbox_objects(sandbox, "page_video")
    link = publication.link_url
    assert video["data"]["description"] == f"{publication.caption}\n\n{link}"
    sent = publication.events.get(
        kind="graph", method="POST", path=f"/{seed.PAGE_COFFEE_ID}/videos"
    ).params
    assert json.loads(sent["call_to_action"]) == {"type": "SHOP_NOW", "value": {"link": link}}


def test_a_link_already_in_the_message_is_not_repeated(connected, upload, sandbox, settings):
    link = settings.PUBLIC_BASE_URL + "/privacy/"
    publication = make_publication(
        connected,
        "fb_post",
        [upload(connected, "square.jpg")],
        caption=f"New beans: {link}",
        link_url=link,
    )

    _publish(connected, publication, sandbox)

    (photo,) = _sandbox_objects(sandbox, "page_photo")
    assert photo["data"]["caption"] == f"New beans: {link}"


def test_a_lost_answer_to_a_photo_post_with_a_link_is_found_not_resent(connected, upload, sandbox):
    publication = make_publication(
        connected, "fb_post", [upload(connected, "square.jpg")], link_url="live:/privacy/"
    )
    sandbox.state.add_fault(
        method="POST", path=f"/{seed.PAGE_COFFEE_ID}/photos", drop=True, after_write=True
    )

    publication = _publish(connected, publication, sandbox)

    assert len(_sandbox_objects(sandbox, "page_photo")) == 1
    assert publication.events.filter(message__startswith="Found what the lost call").exists()
