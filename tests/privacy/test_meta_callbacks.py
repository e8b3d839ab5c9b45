"""Meta's data-deletion and deauthorize callbacks, the erasure job and the status page."""

import time

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse

from meta_integration.models import MetaConnection, MetaPage
from meta_sandbox import seed
from privacy import services
from privacy.models import DataDeletionRequest
from privacy.signed_request import sign
from tests.conftest import client_for
from tests.db_dump import dump_database
from tests.meta_integration.helpers import connect

DELETION_URL = "/privacy/meta/data-deletion/"
DEAUTHORIZE_URL = "/privacy/meta/deauthorize/"


def signed(user_id=seed.ALEX_ID, **extra):
    payload = {"algorithm": "HMAC-SHA256", "issued_at": int(time.time()), "user_id": user_id}
    return sign({**payload, **extra}, settings.META_APP_SECRET)


@pytest.fixture
def connected(owner, sandbox):
    connect(client_for(owner), sandbox)
    return MetaConnection.objects.get()


def test_deletion_callback_answers_json_and_erases_everything(
    connected, sandbox, django_capture_on_commit_callbacks
):
    tokens = list(sandbox.state.auth.tokens)
    with django_capture_on_commit_callbacks() as queued:
        response = Client().post(DELETION_URL, {"signed_request": signed()})

    body = response.json()
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert set(body) == {"url", "confirmation_code"}
    assert (
        body["url"] == f"{settings.PUBLIC_BASE_URL}/privacy/deletion/{body['confirmation_code']}/"
    )
    assert len(queued) == 1

    request = DataDeletionRequest.objects.get()
    services.erase_deletion_request(request_id=request.pk)

    request.refresh_from_db()
    assert request.status == DataDeletionRequest.Status.COMPLETED
    assert request.counts["meta_integration.connections"] == 1
    assert request.counts["meta_integration.pages"] == 3
    assert MetaConnection.objects.count() == 0
    everything = dump_database()
    assert seed.ALEX_ID not in everything
    assert "Alex Rivera" not in everything
    assert [t for t in tokens if t in everything] == []


def test_status_page_shows_progress_then_receipt(connected):
    response = Client().post(DELETION_URL, {"signed_request": signed()})
    code = response.json()["confirmation_code"]
    url = reverse("privacy:deletion_status", args=[code])

    pending = Client().get(url).content.decode()
    services.erase_deletion_request(request_id=DataDeletionRequest.objects.get().pk)
    done = Client().get(url).content.decode()

    assert "Deletion has started" in pending
    assert "Completed" in done
    assert "Meta connections (with their tokens): 1" in done


def test_repeated_request_while_open_returns_the_same_code(connected):
    first = Client().post(DELETION_URL, {"signed_request": signed()}).json()
    second = Client().post(DELETION_URL, {"signed_request": signed()}).json()

    assert first["confirmation_code"] == second["confirmation_code"]
    assert DataDeletionRequest.objects.count() == 1


def test_unknown_user_gets_a_receipt_with_nothing_deleted(db):
    response = Client().post(DELETION_URL, {"signed_request": signed(user_id="999")})
    request = DataDeletionRequest.objects.get()
    services.erase_deletion_request(request_id=request.pk)

    request.refresh_from_db()
    assert response.status_code == 200
    assert request.status == "completed"
    assert sum(request.counts.values()) == 0


def test_unknown_code_is_404(db):
    assert Client().get("/privacy/deletion/NOPE/").status_code == 404


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        pytest.param({}, "missing", id="missing-field"),
        pytest.param({"signed_request": ""}, "missing", id="empty"),
        pytest.param({"signed_request": "abc"}, "malformed", id="no-dot"),
        pytest.param({"signed_request": "a.b!c"}, "malformed", id="bad-base64"),
        pytest.param(
            {"signed_request": sign({"algorithm": "HMAC-SHA256", "user_id": "1"}, "wrong")},
            "bad signature",
            id="tampered",
        ),
        pytest.param(
            {"signed_request": sign({"algorithm": "HS1", "user_id": "1"}, "sandbox-app-secret")},
            "unsupported algorithm",
            id="algorithm",
        ),
        pytest.param(
            {"signed_request": sign({"algorithm": "HMAC-SHA256"}, "sandbox-app-secret")},
            "no user_id",
            id="no-user",
        ),
        pytest.param({"signed_request": "x" * 20000}, "", id="huge"),
    ],
)
@pytest.mark.parametrize("url", [DELETION_URL, DEAUTHORIZE_URL])
def test_bad_callbacks_get_400_and_write_nothing(db, url, data, reason):
    response = Client().post(url, data)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert reason in response.json()["error"]
    assert DataDeletionRequest.objects.count() == 0


@pytest.mark.parametrize("url", [DELETION_URL, DEAUTHORIZE_URL])
def test_get_is_405(db, url):
    assert Client().get(url).status_code == 405


@pytest.mark.usefixtures("tasks_inline")
def test_deauthorize_revokes_and_wipes_tokens(connected, owner, django_capture_on_commit_callbacks):
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post(DEAUTHORIZE_URL, {"signed_request": signed()})

    connected.refresh_from_db()
    assert response.status_code == 200
    assert (connected.status, connected.access_token) == ("revoked", "")
    assert set(MetaPage.objects.values_list("access_token", flat=True)) == {""}
    assert len(mail.outbox) == 1
    assert owner.user.email in mail.outbox[0].to


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind", ["data_deletion", "deauthorize"])
def test_the_sandbox_accepts_our_replies(live_server, sandbox, kind):
    path = DELETION_URL if kind == "data_deletion" else DEAUTHORIZE_URL

    result = sandbox.state.send_callback(
        kind=kind, url=live_server.url + path, user_id=seed.ALEX_ID
    )

    assert (result.ok, result.problems) == (True, [])
    if kind == "data_deletion":
        request = DataDeletionRequest.objects.get()
        assert result.confirmation_code == request.confirmation_code


def test_admin_retries_failed_requests(db, django_capture_on_commit_callbacks):
    failed = DataDeletionRequest.objects.create(
        confirmation_code="FAILED1",
        source="meta_callback",
        subject_hash="x",
        status="failed",
        attempts=5,
    )
    done = DataDeletionRequest.objects.create(
        confirmation_code="DONE1", source="meta_callback", subject_hash="y", status="completed"
    )

    with django_capture_on_commit_callbacks() as queued:
        assert services.retry_failed_deletion_requests(ids=[failed.pk, done.pk]) == 1

    failed.refresh_from_db()
    done.refresh_from_db()
    assert (failed.status, failed.attempts, len(queued)) == ("processing", 0, 1)
    assert done.status == "completed"


NOW = int(time.time())


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        pytest.param({"issued_at": 0}, "too old", id="1970"),
        pytest.param({"issued_at": NOW - 3 * 3600}, "too old", id="three-hours-ago"),
        pytest.param({"issued_at": NOW + 10 * 365 * 86400}, "in the future", id="ten-years-ahead"),
        pytest.param({"issued_at": NOW + 3600}, "in the future", id="an-hour-ahead"),
        pytest.param({"issued_at": None}, "no issued_at", id="missing"),
        pytest.param({"issued_at": str(NOW)}, "no issued_at", id="a-string"),
        pytest.param({"issued_at": True}, "no issued_at", id="a-boolean"),
        pytest.param({"expires": NOW - 60}, "expired", id="expired"),
        pytest.param({"user_id": "²³"}, "no user_id", id="superscript-digits"),
        pytest.param({"user_id": "١٢٣"}, "no user_id", id="arabic-indic-digits"),
        pytest.param({"user_id": True}, "no user_id", id="boolean-user"),
    ],
)
@pytest.mark.parametrize("url", [DELETION_URL, DEAUTHORIZE_URL])
def test_stale_future_and_odd_callbacks_are_refused(db, url, changes, reason):
    payload = {"algorithm": "HMAC-SHA256", "issued_at": NOW, "user_id": seed.ALEX_ID}
    payload.update(changes)
    payload = {key: value for key, value in payload.items() if value is not None}

    response = Client().post(url, {"signed_request": sign(payload, settings.META_APP_SECRET)})

    assert response.status_code == 400
    assert reason in response.json()["error"]
    assert DataDeletionRequest.objects.count() == 0


@pytest.mark.parametrize(
    "issued_at", [NOW, NOW - 3000, NOW + 120], ids=["now", "fifty-minutes-ago", "clock-skew"]
)
def test_fresh_callbacks_within_the_tolerance_are_accepted(db, issued_at):
    payload = {"algorithm": "HMAC-SHA256", "issued_at": issued_at, "user_id": "218471"}

    response = Client().post(
        DELETION_URL, {"signed_request": sign(payload, settings.META_APP_SECRET)}
    )

    assert response.status_code == 200
    assert DataDeletionRequest.objects.count() == 1
