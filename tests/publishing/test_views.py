"""The publishing pages: editor, detail with checks and actions, approval, history, calendar.

Meta is the sandbox (connected through the real OAuth callback); media are real files uploaded
through the media service. Jobs are not run here: enqueueing is asserted on commit.
"""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from creatives.library import services as media_services
from creatives.library.models import MediaAsset
from meta_integration.models import InstagramAccount, MetaAdAccount, MetaPage
from meta_sandbox import seed
from prosocial.money import to_major_units, to_minor_units
from publishing import selectors, services
from publishing.models import Publication, PublicationEvent
from publishing.preflight import run_preflight
from tests.conftest import client_for
from tests.meta_integration.helpers import connect

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")  # the workspace factory's time zone


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def meta(owner, sandbox):
    """The workspace connected to the sandbox with every Page, IG account and ad account chosen."""
    connect(client_for(owner), sandbox)
    for model in (MetaPage, InstagramAccount, MetaAdAccount):
        model.objects.filter(workspace=owner.workspace).update(is_selected=True)
    return {
        "page": MetaPage.objects.get(page_id=seed.PAGE_COFFEE_ID),
        "ig": InstagramAccount.objects.get(ig_user_id=seed.IG_COFFEE_ID),
        "ad": MetaAdAccount.objects.get(ad_account_id=seed.ACT_COFFEE_US),
    }


@pytest.fixture
def files(owner, upload):
    return {
        "reel": upload(owner, "reel.mp4"),
        "wide": upload(owner, "wide.mp4"),
        "square": upload(owner, "square.jpg"),
        "square2": upload(owner, "square-2.jpg"),
    }


def url(name, *args, slug="acme"):
    return reverse(f"publishing:{name}", args=[slug, *args])


def form_data(target, meta, files, **overrides):
    data = {
        "title": f"Spring {target}",
        "target": target,
        "caption": "Spring beans are here #coffee",
        "page": meta["page"].pk,
        "instagram_account": meta["ig"].pk,
        "item_1": files["reel"].pk,
    }
    if target in ("ig_feed", "ig_story", "fb_post"):
        data["item_1"] = files["square"].pk
    if target == "ig_carousel":
        data.update(item_1=files["square"].pk, item_2=files["square2"].pk)
    if target in ("fb_post", "meta_ad"):
        data.update(link_url="https://shop.example.com/spring", cta_type="SHOP_NOW")
    if target == "meta_ad":
        data.update(
            ad_account=meta["ad"].pk,
            objective="OUTCOME_TRAFFIC",
            budget_type="daily",
            budget="25.50",
            special_ad_categories=["NONE"],
            countries="us, ca",
            age_min="21",
            age_max="55",
            genders="2",
            placements=["facebook:feed", "instagram:stream"],
        )
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def reel(owner, meta, asset, **fields):
    """A reel draft (Instagram unless ``target`` says) made through the service, checks run."""
    publication = services.create_publication(
        actor=owner,
        fields={
            "title": "Launch reel",
            "target": "ig_reel",
            "caption": "Launch",
            "instagram_account": meta["ig"],
            "page": meta["page"],  # the Page linked to the IG account, as the form sets it
            **fields,
        },
        assets=[asset],
    )
    run_preflight(publication, network=True)
    publication.refresh_from_db()
    return publication


# --- the editor ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target", ["fb_post", "fb_reel", "ig_feed", "ig_carousel", "ig_reel", "ig_story", "meta_ad"]
)
def test_creating_a_draft_for_each_target(
    owner, meta, files, target, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = client_for(owner).post(url("new"), form_data(target, meta, files))

    publication = Publication.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("detail", publication.pk)
    assert (publication.target, publication.status) == (target, "draft")
    assert publication.preflight  # the inline checks ran
    assert len(callbacks) == 1  # the network checks are queued
    expected_items = {
        "ig_carousel": [files["square"], files["square2"]],
        "fb_post": [files["square"]],
        "ig_feed": [files["square"]],
        "ig_story": [files["square"]],
    }.get(target, [files["reel"]])
    assert [i.asset for i in publication.items.all()] == expected_items
    if target == "meta_ad":
        assert publication.budget_minor == 2550
        assert publication.targeting == {
            "countries": ["US", "CA"],
            "age_min": 21,
            "age_max": 55,
            "genders": [2],
        }
        assert publication.special_ad_categories == ["NONE"]
        assert publication.placements == ["facebook:feed", "instagram:stream"]
        assert (publication.page, publication.ad_account) == (meta["page"], meta["ad"])
    else:
        assert publication.budget_minor is None
        assert publication.ad_account is None
        assert publication.targeting == {}
    if target.startswith("ig_"):
        # The Page is the one linked to the Instagram account, whatever the form sent.
        assert (publication.instagram_account, publication.page) == (meta["ig"], meta["page"])
        assert publication.link_url == ""


@pytest.mark.parametrize(
    ("target", "overrides", "field", "message"),
    [
        ("ig_reel", {"item_1": "square"}, "item_1", "Instagram reel needs a video."),
        ("ig_reel", {"item_1": None}, "item_1", "Instagram reel takes exactly one file."),
        ("ig_reel", {"instagram_account": None}, "instagram_account", "Choose the Instagram"),
        ("ig_carousel", {"item_2": None}, "item_1", "A carousel needs 2 to 10 files"),
        ("fb_post", {"item_1": None, "caption": "", "link_url": ""}, "caption", "Write a message"),
        ("fb_reel", {"page": None}, "page", "Choose the Facebook Page."),
        ("meta_ad", {"special_ad_categories": None}, "special_ad_categories", "declaration"),
        (
            "meta_ad",
            {"special_ad_categories": ["NONE", "HOUSING"]},
            "special_ad_categories",
            "not both",
        ),
        ("meta_ad", {"countries": "USA, de"}, "countries", "not USA"),
        ("meta_ad", {"countries": "UK, XX"}, "countries", "not UK; for United Kingdom use GB, XX"),
        ("meta_ad", {"age_max": "70"}, "age_max", "less than or equal to 65"),
        ("meta_ad", {"age_min": "40", "age_max": "30"}, "age_max", "at least the youngest"),
        ("meta_ad", {"budget": "10.555"}, "budget", "decimal places"),
        ("meta_ad", {"budget_type": "lifetime"}, "ad_ends_at", "needs a start and an end"),
        ("meta_ad", {"link_url": "http://shop.example.com/"}, "link_url", "https://"),
        ("meta_ad", {"ad_account": None}, "ad_account", "Choose the ad account"),
    ],
    ids=lambda value: value if isinstance(value, str) and " " not in value else None,
)
def test_invalid_input_is_422_and_writes_nothing(
    owner, meta, files, target, overrides, field, message
):
    overrides = {
        k: files[v].pk if isinstance(v, str) and v in files else v for k, v in overrides.items()
    }
    events_before = PublicationEvent.objects.count()

    response = client_for(owner).post(url("new"), form_data(target, meta, files, **overrides))

    assert response.status_code == 422
    errors = response.context["form"].errors
    assert any(message in error for error in errors[field]), errors
    assert Publication.objects.count() == 0
    assert PublicationEvent.objects.count() == events_before


@pytest.mark.parametrize(
    ("link", "accepted"),
    [
        ("http://127.0.0.1:8000/privacy/", True),  # the app's own pages, in development
        ("http://localhost:8765/shop/", True),  # the Meta sandbox
        ("http://127.0.0.1:9999/shop/", False),  # another loopback port is no exemption
        ("http://shop.example.com/", False),
    ],
)
def test_an_http_link_passes_only_on_an_allowlisted_host_and_port(
    owner, meta, files, settings, link, accepted
):
    # Development's default allowlist names host *and* port (prosocial/settings.py).
    settings.SAFE_HTTP_ALLOWED_HOSTS = [
        f"{host}:{port}" for host in ("127.0.0.1", "localhost") for port in (8765, 8000)
    ]

    response = client_for(owner).post(url("new"), form_data("meta_ad", meta, files, link_url=link))

    errors = response.context["form"].errors if response.status_code == 422 else {}
    assert ("link_url" not in errors) is accepted, errors


def test_form_offers_only_selected_accounts_of_active_connections(owner, meta, files):
    MetaPage.objects.filter(page_id=seed.PAGE_PHOTO_ID).update(is_selected=False)

    form = client_for(owner).get(url("new")).context["form"]

    pages = list(form.fields["page"].queryset)
    assert meta["page"] in pages
    assert [p.page_id for p in pages if p.page_id == seed.PAGE_PHOTO_ID] == []
    assert set(form.fields["item_1"].queryset) == set(files.values())


def test_budget_uses_the_currency_minor_unit():
    assert to_minor_units(Decimal("12.34"), "USD") == 1234
    assert to_minor_units(Decimal("1500"), "JPY") == 1500
    assert to_minor_units(Decimal("20000"), "krw") == 20000
    assert to_major_units(1500, "JPY") == Decimal("1500")
    assert to_major_units(2550, "EUR") == Decimal("25.50")


def test_editing_keeps_values_and_saves_changes(owner, meta, files):
    client = client_for(owner)
    client.post(url("new"), form_data("meta_ad", meta, files))
    publication = Publication.objects.get()

    form = client.get(url("edit", publication.pk)).context["form"]
    assert form.initial["budget"] == Decimal("25.50")
    assert form.initial["countries"] == "US, CA"
    response = client.post(
        url("edit", publication.pk), form_data("meta_ad", meta, files, budget="40")
    )

    assert response.status_code == 302
    publication.refresh_from_db()
    assert publication.budget_minor == 4000


# --- detail, checks and the one-click fix -----------------------------------------------------------


def test_detail_shows_failing_check_with_convert_button(owner, meta, files):
    publication = reel(owner, meta, files["wide"], target="fb_reel")

    response = client_for(owner).get(url("detail", publication.pk))

    assert response.status_code == 200
    html = response.content.decode()
    spec = next(c for c in response.context["checks"] if c["key"].startswith("media_spec:"))
    assert spec["status"] == "fail"
    assert spec["action"] == {
        "kind": "transcode",
        "asset": files["wide"].pk,
        "placement": "fb_reel",
    }
    assert 'data-testid="convert"' in html
    assert 'data-testid="publish-now"' in html
    assert "disabled" in html
    assert "doesn" in html
    assert "fit" in html


def test_convert_then_use_the_copy_makes_the_checks_pass(
    owner, meta, files, django_capture_on_commit_callbacks
):
    publication = reel(owner, meta, files["wide"], target="fb_reel")
    client = client_for(owner)

    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(
            url("convert", publication.pk),
            {"asset": files["wide"].pk, "placement": "fb_reel", "fill": "blur"},
        )
    assert response.status_code == 302
    copy = MediaAsset.objects.get(parent=files["wide"])
    assert (copy.status, copy.placement_key, len(callbacks)) == ("processing", "fb_reel", 1)
    detail = client.get(url("detail", publication.pk))
    assert detail.context["polling"] is True
    assert 'data-testid="converting"' in detail.content.decode()

    media_services.transcode_media(asset_id=copy.pk)  # what the media worker does
    detail = client.get(url("detail", publication.pk))
    assert 'data-testid="use-copy"' in detail.content.decode()
    response = client.post(
        url("use_copy", publication.pk), {"original": files["wide"].pk, "copy": copy.pk}
    )

    assert response.status_code == 302
    assert [i.asset_id for i in publication.items.all()] == [copy.pk]
    run_preflight(Publication.objects.get(pk=publication.pk), network=True)
    publication.refresh_from_db()
    assert [c["key"] for c in publication.preflight if c["status"] == "fail"] == []


def test_run_checks_again_marks_network_checks_pending_and_queues_them(
    owner, meta, files, django_capture_on_commit_callbacks
):
    publication = reel(owner, meta, files["reel"])

    with django_capture_on_commit_callbacks() as callbacks:
        response = client_for(owner).post(url("checks", publication.pk))

    assert response.status_code == 302
    assert len(callbacks) == 1
    publication.refresh_from_db()
    pending = sorted(c["key"] for c in publication.preflight if c["status"] == "pending")
    # Every network check shows as pending until the job has run (the link check too, which
    # then finds no link and drops out).
    assert pending == ["ig_quota", "link", "media_fetchable"]


# --- publish, schedule, cancel ----------------------------------------------------------------------


def test_publish_now_queues_once(owner, meta, files, django_capture_on_commit_callbacks):
    publication = reel(owner, meta, files["reel"])
    client = client_for(owner)

    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(url("publish", publication.pk))
    publication.refresh_from_db()
    assert response.status_code == 302
    assert publication.status == "queued"
    assert len(callbacks) == 1
    events = publication.events.count()

    with django_capture_on_commit_callbacks() as again:
        second = client.post(url("publish", publication.pk))  # the double click

    publication.refresh_from_db()
    assert second.status_code == 302
    assert (publication.status, len(again), publication.events.count()) == ("queued", 0, events)


def test_publish_refused_while_checks_fail_is_422(owner, meta, files):
    publication = reel(owner, meta, files["wide"], target="fb_reel")

    response = client_for(owner).post(url("publish", publication.pk))

    assert response.status_code == 422
    assert "Preflight doesn" in response.context["action_error"]
    publication.refresh_from_db()
    assert publication.status == "draft"


def _local_input(days=3, hour=9, minute=30):
    day = (timezone.now().astimezone(BERLIN) + timedelta(days=days)).date()
    local = datetime(day.year, day.month, day.day, hour, minute, tzinfo=BERLIN)
    return local, local.strftime("%Y-%m-%dT%H:%M")


def _schedule(client, publication, typed):
    """Set the time, let the check job run (as the worker would), then press Schedule."""
    response = client.post(url("schedule", publication.pk), {"when": typed})
    assert response.status_code == 302
    services.run_full_preflight(publication_id=publication.pk)
    return client.post(url("publish", publication.pk))


def test_schedule_reads_the_time_in_the_workspace_zone(
    owner, meta, files, django_capture_on_commit_callbacks
):
    publication = reel(owner, meta, files["reel"])
    client = client_for(owner)
    local, typed = _local_input()

    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(url("schedule", publication.pk), {"when": typed})

    assert response.status_code == 302
    publication.refresh_from_db()
    assert (publication.status, publication.scheduled_at) == ("draft", local.astimezone(UTC))
    assert len(callbacks) == 1  # the checks run again for the new time
    page = client.get(url("detail", publication.pk)).content.decode()
    assert f"Schedule for {local:%a, %b} {local.day} 09:30" in page

    services.run_full_preflight(publication_id=publication.pk)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(url("publish", publication.pk))

    publication.refresh_from_db()
    assert response.status_code == 302
    assert (publication.status, publication.scheduled_at) == ("scheduled", local)
    assert publication.scheduled_at.utcoffset() == timedelta(0)
    assert callbacks == []  # nothing queued: the sweeper starts it when its time comes
    page = client.get(url("detail", publication.pk)).content.decode()
    assert f"{local:%b} {local.day}, {local.year} 09:30" in page


def test_schedule_in_the_past_is_422(owner, meta, files):
    publication = reel(owner, meta, files["reel"])
    _, typed = _local_input(days=-1)

    response = client_for(owner).post(url("schedule", publication.pk), {"when": typed})

    assert response.status_code == 422
    assert response.context["schedule_form"].errors["when"] == ["Pick a time in the future."]
    publication.refresh_from_db()
    assert (publication.status, publication.scheduled_at) == ("draft", None)


def test_reschedule_moves_time_only_and_cancel_stops_it(owner, meta, files):
    publication = reel(owner, meta, files["reel"])
    client = client_for(owner)
    _, first = _local_input(days=3)
    later, second = _local_input(days=5, hour=18, minute=0)
    assert _schedule(client, publication, first).status_code == 302

    response = client.post(url("reschedule", publication.pk), {"when": second})

    publication.refresh_from_db()
    assert response.status_code == 302
    assert (publication.status, publication.scheduled_at) == ("scheduled", later)
    assert publication.title == "Launch reel"
    response = client.post(url("cancel", publication.pk))
    publication.refresh_from_db()
    assert response.status_code == 302
    assert publication.status == "cancelled"
    again = client.post(url("cancel", publication.pk))
    assert again.status_code == 422
    assert "Only a scheduled or queued" in again.context["action_error"]


# --- approval --------------------------------------------------------------------------------------


def test_approval_flow(owner, admin, editor, meta, files, django_capture_on_commit_callbacks):
    workspace = owner.workspace
    workspace.requires_publish_approval = True
    workspace.save(update_fields=["requires_publish_approval"])
    author = client_for(editor)
    reviewer = client_for(admin)
    publication = reel(editor, meta, files["reel"])
    assert publication.approval_status == "needed"

    refused = author.post(url("publish", publication.pk))
    assert refused.status_code == 422
    assert refused.context["action_error"] == "Submit this publication for approval first."

    assert author.post(url("submit", publication.pk)).status_code == 302
    assert author.post(url("publish", publication.pk)).status_code == 422
    assert author.post(url("review", publication.pk), {"decision": "approve"}).status_code == 403
    no_comment = reviewer.post(url("review", publication.pk), {"decision": "send_back"})
    assert no_comment.status_code == 422
    assert no_comment.context["review_form"].errors["comment"] == [
        "Say what needs to change when sending it back."
    ]
    publication.refresh_from_db()
    assert publication.approval_status == "pending"

    reviewer.post(
        url("review", publication.pk), {"decision": "send_back", "comment": "Shorter caption"}
    )
    publication.refresh_from_db()
    assert (publication.approval_status, publication.approval_comment) == (
        "changes_requested",
        "Shorter caption",
    )
    assert "Shorter caption" in author.get(url("detail", publication.pk)).content.decode()

    author.post(url("submit", publication.pk))
    reviewer.post(url("review", publication.pk), {"decision": "approve"})
    with django_capture_on_commit_callbacks() as callbacks:
        response = author.post(url("publish", publication.pk))

    publication.refresh_from_db()
    assert response.status_code == 302
    assert (publication.approval_status, publication.status) == ("approved", "queued")
    assert len(callbacks) == 1


# --- live status ------------------------------------------------------------------------------------


def test_polling_returns_the_partial_while_running_and_refreshes_when_done(owner, meta, files):
    publication = reel(owner, meta, files["reel"])
    client = client_for(owner)
    Publication.objects.filter(pk=publication.pk).update(
        status="processing", progress=55, message="Instagram is processing the media"
    )

    partial = client.get(url("detail", publication.pk), headers={"HX-Request": "true"})

    html = partial.content.decode()
    assert partial.status_code == 200
    assert html.lstrip().startswith('<div id="live"')
    assert 'hx-trigger="every 2s"' in html
    assert "Instagram is processing the media" in html
    assert 'value="55"' in html
    Publication.objects.filter(pk=publication.pk).update(
        status="published", progress=100, permalink="https://www.instagram.com/reel/abc/"
    )
    done = client.get(url("detail", publication.pk), headers={"HX-Request": "true"})
    assert done.status_code == 200
    assert done["HX-Refresh"] == "true"
    page = client.get(url("detail", publication.pk)).content.decode()
    assert "https://www.instagram.com/reel/abc/" in page
    assert "every 2s" not in page


def test_failure_names_the_item_and_the_fix(owner, meta, files):
    publication = reel(owner, meta, files["reel"])
    Publication.objects.filter(pk=publication.pk).update(
        status="failed",
        failed_item="reel.mp4",
        error_title="Instagram couldn't process the video.",
        error_fix="Convert it with the fix button.",
    )
    PublicationEvent.objects.create(
        publication=publication,
        kind="graph",
        method="POST",
        path="/17841405793187218/media",
        params={"media_type": "REELS"},
        status_code=400,
        duration_ms=12.5,
        fbtrace_id="AbCdEf123",
        response_excerpt='{"error": {"code": 100}}',
    )

    html = client_for(owner).get(url("detail", publication.pk)).content.decode()

    assert "reel.mp4: Instagram couldn&#x27;t process the video." in html
    assert "Convert it with the fix button." in html
    assert "AbCdEf123" in html
    assert "/17841405793187218/media" in html
    assert 'data-testid="retry"' in html


# --- history and calendar -----------------------------------------------------------------------------


def test_history_filters_by_status_target_and_account(owner, meta, files):
    published = reel(owner, meta, files["reel"], title="Out already")
    Publication.objects.filter(pk=published.pk).update(
        status="published", published_at=timezone.now(), permalink="https://example.com/p/1"
    )
    draft = reel(owner, meta, files["reel"], title="Still a draft")
    post = services.create_publication(
        actor=owner,
        fields={"title": "Page news", "target": "fb_post", "caption": "Hi", "page": meta["page"]},
        assets=[],
    )
    client = client_for(owner)

    def titles(**params):
        response = client.get(url("list"), params)
        assert response.status_code == 200
        return [p.title for p in response.context["page"]]

    assert titles() == ["Page news", "Still a draft", "Out already"]
    assert titles(status="published") == ["Out already"]
    assert titles(target="fb_post") == [post.title]
    assert titles(account=f"ig:{meta['ig'].pk}") == [draft.title, published.title]
    assert titles(account=f"page:{meta['page'].pk}") == ["Page news", draft.title, published.title]
    assert titles(account=f"ad:{meta['ad'].pk}") == []
    html = client.get(url("list"), {"status": "published"}).content.decode()
    assert "https://example.com/p/1" in html


def test_history_query_count_does_not_grow_with_rows(
    owner, meta, files, django_assert_max_num_queries
):
    for n in range(5):
        reel(owner, meta, files["reel"], title=f"Reel {n}")
    client = client_for(owner)
    client.get(url("calendar"))  # warm the session

    with django_assert_max_num_queries(12):
        response = client.get(url("list"))
    assert len(response.context["page"]) == 5


def test_calendar_places_items_on_the_workspace_day(owner, meta, files):
    publication = reel(owner, meta, files["reel"], title="Midnight drop")
    # 23:30 UTC on March 31 is 01:30 on April 1 in Berlin (summer time).
    Publication.objects.filter(pk=publication.pk).update(
        status="scheduled", scheduled_at=datetime(2026, 3, 31, 23, 30, tzinfo=UTC)
    )
    client = client_for(owner)

    april = client.get(url("calendar"), {"month": "2026-04"})
    march = client.get(url("calendar"), {"month": "2026-03"})

    day = dict(april.context["month"].items)[date(2026, 4, 1)]
    assert [(local.strftime("%H:%M"), p.title) for local, p in day] == [("01:30", "Midnight drop")]
    assert march.context["month"].items == {}
    html = april.content.decode()
    assert "April 2026" in html
    assert "01:30" in html
    assert 'href="?month=2026-03"' in html
    assert 'href="?month=2026-05"' in html


# --- tenancy -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("_case", "status"), [("owner", 302), ("editor", 302), ("viewer", 403), ("outsider", 404)]
)
def test_publish_permissions(cast, meta, files, _case, status, django_capture_on_commit_callbacks):
    publication = reel(cast["owner"], meta, files["reel"])

    with django_capture_on_commit_callbacks() as callbacks:
        response = client_for(cast[_case]).post(url("publish", publication.pk))

    publication.refresh_from_db()
    assert response.status_code == status
    assert publication.status == ("queued" if status == 302 else "draft")
    assert len(callbacks) == (1 if status == 302 else 0)


def test_another_workspaces_publication_is_404(owner, outsider, meta, files):
    publication = reel(owner, meta, files["reel"])
    client = client_for(outsider)

    assert client.get(url("detail", publication.pk, slug="rival")).status_code == 404
    assert client.get(url("detail", publication.pk)).status_code == 404
    assert client.post(url("cancel", publication.pk, slug="rival")).status_code == 404
    assert client_for(owner).get(url("detail", 2**31 - 1)).status_code == 404


@pytest.mark.parametrize("name", ["checks", "cancel", "retry", "submit", "convert", "use_copy"])
def test_viewer_gets_403_on_every_action(owner, viewer, meta, files, name):
    publication = reel(owner, meta, files["reel"])
    before = list(Publication.objects.values())

    response = client_for(viewer).post(url(name, publication.pk))

    assert response.status_code == 403
    assert list(Publication.objects.values()) == before


def test_viewer_sees_pages_without_actions(owner, viewer, meta, files):
    publication = reel(owner, meta, files["reel"])
    client = client_for(viewer)

    html = client.get(url("detail", publication.pk)).content.decode()

    assert 'data-testid="publish-now"' not in html
    assert "Viewers can follow publications" in html
    assert client.get(url("list")).status_code == 200
    assert client.get(url("calendar")).status_code == 200
    assert client.get(url("new")).status_code == 403


@pytest.mark.parametrize(
    ("approval", "blockers", "time_set", "hint"),
    [
        ("not_required", [], False, "Ready: publish it now or set a time."),
        ("approved", [], True, "Ready: schedule it for the time you set"),
        ("not_required", ["The caption is too long."], False, "the checks below say"),
        ("needed", [], False, "submit it for approval first"),
        ("pending", [], False, "waiting for an owner or admin to approve it"),
        ("changes_requested", [], False, "Sent back: make the changes asked for"),
    ],
)
def test_the_status_hint_says_what_has_to_happen_next(approval, blockers, time_set, hint):
    publication = Publication(status="ready", approval_status=approval)

    said = selectors.next_step_hint(publication, blockers=blockers, time_set=time_set)

    assert hint in said
    assert ("Ready:" in said) == (approval in ("not_required", "approved") and not blockers)


def test_a_publication_waiting_for_approval_does_not_say_ready(owner, editor, meta, files):
    owner.workspace.requires_publish_approval = True
    owner.workspace.save(update_fields=["requires_publish_approval"])
    publication = reel(editor, meta, files["reel"])
    client_for(editor).post(url("submit", publication.pk))

    page = client_for(editor).get(url("detail", publication.pk)).content.decode()

    assert "Ready: publish it now" not in page
    assert "waiting for an owner or admin to approve it" in page
