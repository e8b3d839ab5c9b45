"""The inbox in Chromium, as in `make run`: connect the sandbox, a customer comments and writes a
DM, the member answers both from the inbox and marks them done.

Nothing is short-circuited: the member connects Meta and ticks the Page in the browser; a real
Celery worker subscribes it (the app-level subscription's handshake reaches the live server) and
backfills it; the sandbox's own sender POSTs the customer's webhooks to `/meta/webhooks/`; the
worker turns them into threads, sends the replies to the sandbox and writes the AI drafts. The
inbox list and the thread page pass axe-core with no serious or critical violation.
"""

import re
import time

import pytest
import requests
from playwright.sync_api import Page, expect

from inbox.models import Thread
from meta_integration.models import MetaPage
from meta_sandbox import seed
from tests.e2e.test_accessibility import AXE, axe_violations
from tests.e2e.tour import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

COFFEE = seed.PAGE_COFFEE_ID
POST = seed.SEED_POST_COFFEE_ID
LIVE = 30_000  # ms: the inbox checks for news every 10 s; the worker needs a moment too


def _checked(page: Page, seen: dict[str, list[str]], name: str) -> None:
    page.wait_for_load_state("networkidle")
    page.mouse.move(0, 0)  # no button left half-way through its hover transition
    page.wait_for_timeout(300)
    if violations := axe_violations(page):
        seen[name] = violations


def _sandbox(sandbox, what: str, **params: str) -> list[dict]:
    """What the sandbox holds, through its customer API (as its console shows it)."""
    response = requests.get(f"{sandbox.url}/_sandbox/customer/{what}", params=params, timeout=10)
    response.raise_for_status()
    return response.json()["data"]


@pytest.fixture
def sandbox_sender(sandbox):
    """The sandbox delivers webhooks in the background as they happen, as Meta (and make run)."""
    sandbox.state.webhooks.start()
    yield sandbox
    sandbox.state.webhooks.stop()


def test_answer_a_comment_and_a_dm_then_mark_them_done(
    page: Page, live_server, settings, owner, sandbox_sender, start_worker, csp_violations
):
    if not AXE.exists():
        pytest.fail("axe-core is missing: run `make install` (npm ci)")
    sandbox = sandbox_sender
    settings.PUBLIC_BASE_URL = live_server.url  # OAuth redirect and the webhook callback
    start_worker()  # after the settings above: the worker takes them from this process
    found: dict[str, list[str]] = {}
    inbox_url = f"{live_server.url}/w/acme/inbox/"

    # Connect Meta through the sandbox's dialog and use the coffee Page.
    sign_in(page, live_server.url, owner)
    page.goto(f"{live_server.url}/w/acme/meta/")
    page.get_by_test_id("connect-meta").click()
    page.get_by_test_id("continue-to-meta").click()
    page.click("#allow")
    expect(page).to_have_url(re.compile(r"/w/acme/meta/\d+/$"))
    coffee = MetaPage.objects.get(page_id=COFFEE)
    page.check(f"input[name=pages][value='{coffee.pk}']")
    page.get_by_test_id("save-assets").click()
    expect(page.get_by_text("Saved which assets this workspace uses.")).to_be_visible()
    # The worker subscribes the app (handshake against this server) and the Page.
    cell = page.get_by_test_id(f"webhooks-page-{coffee.pk}")
    for _ in range(30):
        if cell.get_attribute("data-state") == "ok":
            break
        time.sleep(1)
        page.reload()
    expect(cell).to_contain_text("Receiving its comments and messages live")
    subscription = sandbox.state.webhooks.app_subscriptions["page"]
    assert subscription.callback_url == f"{live_server.url}/meta/webhooks/"

    # The inbox is open while the customers write; their threads appear without a reload.
    page.goto(inbox_url)
    console = page.get_by_test_id("sandbox-hint").get_by_role("link")
    expect(console).to_have_attribute("href", f"{sandbox.url}/_sandbox/#customer")
    _checked(page, found, "inbox list")
    sandbox.state.customer_comment(
        customer_id=seed.MARIA_ID, object_id=POST, message="Do you ship the Huila beans to Oslo?"
    )
    sandbox.state.customer_message(
        customer_id=seed.TOM_ID, to=COFFEE, text="Are you open on Sunday? I'd like to pick up."
    )
    comment_row = page.locator("[data-thread-row]", has_text="Huila beans to Oslo")
    dm_row = page.locator("[data-thread-row]", has_text="open on Sunday")
    expect(comment_row).to_be_visible(timeout=LIVE)
    expect(dm_row).to_be_visible(timeout=LIVE)
    expect(comment_row).to_contain_text("Maria Lopez")
    _checked(page, found, "inbox list with threads")

    # The comment: a public reply, which the sandbox holds under the comment; then done.
    comment_row.locator("[data-thread-link]").click()
    expect(page.get_by_test_id("conversation")).to_contain_text("Huila beans to Oslo")
    _checked(page, found, "comment thread")
    page.fill("#reply-text", "Yes! We ship to Norway in 3 to 5 days.")
    page.get_by_test_id("send-reply").click()
    expect(page.get_by_test_id("conversation")).to_contain_text("We ship to Norway", timeout=LIVE)
    comment = Thread.objects.get(kind=Thread.Kind.COMMENT, snippet__contains="Norway")
    held = _sandbox(sandbox, "comments", object_id=POST)
    assert [c["message"] for c in held if c["parent_id"] == comment.external_key] == [
        "Yes! We ship to Norway in 3 to 5 days."
    ]
    page.get_by_test_id("mark-done").click()
    expect(page.get_by_text("Marked done.")).to_be_visible()

    # The DM: suggested replies, one used and edited, sent; then done.
    page.goto(inbox_url)
    dm_row.locator("[data-thread-link]").click()
    expect(page.get_by_test_id("conversation")).to_contain_text("open on Sunday")
    page.get_by_test_id("suggest").click()
    suggestions = page.get_by_test_id("suggestion")
    expect(suggestions).to_have_count(3, timeout=LIVE)
    page.get_by_test_id("use-suggestion").first.click()
    draft = page.locator("#reply-text").input_value()
    assert draft
    assert draft in suggestions.first.inner_text()
    text = f"{draft} See you on Sunday!"
    page.fill("#reply-text", text)
    _checked(page, found, "dm thread")
    page.get_by_test_id("send-reply").click()
    expect(page.get_by_test_id("conversation")).to_contain_text("See you on Sunday!", timeout=LIVE)
    dm = Thread.objects.get(kind=Thread.Kind.DM, snippet__contains="See you on Sunday!")
    (conversation,) = [
        c
        for c in _sandbox(sandbox, "conversations")
        if (c["customer_id"], c["owner_id"]) == (seed.TOM_ID, COFFEE)
    ]
    assert [m["text"] for m in conversation["messages"] if not m["from_customer"]] == [text]
    page.get_by_test_id("mark-done").click()
    expect(page.get_by_text("Marked done.")).to_be_visible()

    comment.refresh_from_db()
    dm.refresh_from_db()
    assert (comment.status, dm.status) == (Thread.Status.DONE, Thread.Status.DONE)
    page.goto(f"{inbox_url}?status=done")
    expect(page.locator("[data-thread-row]", has_text="Norway")).to_be_visible()
    expect(page.locator("[data-thread-row]", has_text="See you on Sunday!")).to_be_visible()
    assert found == {}, "\n".join(
        f"{name}: {line}" for name, lines in found.items() for line in lines
    )
    assert csp_violations == []
