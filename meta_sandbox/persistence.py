"""The state file: what a sandbox started with `--state-file` remembers across restarts.

`make run` restarts a sandbox that died. Meta does not forget tokens or reuse ids when one
of its servers restarts, so neither may the sandbox: the app keeps the tokens it was given
and the ids of what it published, and both must still mean the same thing afterwards.

Kept: the world (people, Pages, accounts; publishing changes some counts), authorizations,
OAuth codes and tokens, every created object, the id counter, the ad-review switch, the
settings, the clock offset and the webhook subscriptions (app level and each Page's
subscribed_apps). Not kept: faults, the request and callback logs, and the webhook queue,
delivery log and knobs (they describe one run, for tests), upload bytes still arriving (the
upload starts again at offset 0, as the next answer says) and media checks still running
(they fail with Meta's transient 2207001, so the app retries with a new container).

Comments, reactions, mentions, conversations, messages and the customers (their blocks and
deleted accounts) are kept too, under `engagement`; a file written before they existed starts
them from the seed.

`SandboxState.save()` writes the file after every request that changed something: a JSON
document written to a temporary file and moved over the old one with `os.replace`, so a
sandbox killed at any moment leaves either the old state or the new one, never half of it.
"""

import json
import logging
import os
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from meta_sandbox import engagement, messaging, seed
from meta_sandbox.media_check import MediaProblem
from meta_sandbox.media_jobs import MediaJob
from meta_sandbox.models import (
    AdAccount,
    AuthCode,
    Authorization,
    Business,
    IgAccount,
    MetaUser,
    Page,
    Token,
    World,
)
from meta_sandbox.objects import OBJECT_TYPES, IgMedia, ObjectStore, PagePost, Video

if TYPE_CHECKING:
    from meta_sandbox.state import SandboxState

logger = logging.getLogger(__name__)

FORMAT = 1  # bump when a saved field changes meaning; an unknown format is not loaded
INTERRUPTED = "the sandbox restarted while checking this media; create the container again"


class StateFileError(ValueError):
    """The state file cannot be used (unreadable, another format, another app)."""


def dump(state: "SandboxState") -> dict[str, Any]:
    """Return everything the state file keeps, as JSON-ready data (caller holds the lock)."""
    objects = state.objects
    return {
        "format": FORMAT,
        "app_id": state.app_id,
        "clock_offset_seconds": state.clock.offset,
        "initial_settings": asdict(state.initial_settings),
        "settings": asdict(state.settings),
        "world": {
            "users": [asdict(user) for user in state.world.users.values()],
            "pages": [asdict(page) for page in state.world.pages.values()],
            "ig_accounts": [asdict(ig) for ig in state.world.ig_accounts.values()],
            "ad_accounts": [asdict(account) for account in state.world.ad_accounts.values()],
            "businesses": [asdict(business) for business in state.world.businesses.values()],
        },
        "authorizations": [asdict(auth) for auth in state.auth.authorizations.values()],
        "codes": [asdict(code) for code in state.auth.codes.values()],
        "tokens": [asdict(token) for token in state.auth.tokens.values()],
        "objects": [
            {"type": type(obj).__name__, "fields": asdict(obj)} for obj in objects.by_id.values()
        ],
        "media_checks": {object_id: _job_dict(job) for object_id, job in objects.jobs.items()},
        "next_id_number": objects.next_number,
        "disapprove_next": objects.disapprove_next,
        "disapproval_feedback": objects.disapproval_feedback,
        "engagement": _dump_engagement(state.engagement),
        "webhook_subscriptions": state.webhooks.dump_subscriptions(),
    }


def restore(state: "SandboxState", data: dict[str, Any]) -> None:
    """Replace the state's contents with `data` from `dump()` (caller holds the lock).

    Raises StateFileError for another format or app id, and KeyError, TypeError or
    ValueError for a damaged file, before changing anything.
    """
    if data.get("format") != FORMAT:
        raise StateFileError(f"unknown state file format {data.get('format')!r}")
    if data.get("app_id") != state.app_id:
        raise StateFileError(f"it belongs to app {data.get('app_id')!r}, not {state.app_id!r}")
    world_data = data["world"]
    world = World(
        users={u["id"]: MetaUser(**u) for u in world_data["users"]},
        pages={p["id"]: Page(**p) for p in world_data["pages"]},
        ig_accounts={ig["id"]: IgAccount(**ig) for ig in world_data["ig_accounts"]},
        ad_accounts={a.id: a for a in (AdAccount(**a) for a in world_data["ad_accounts"])},
        businesses={b["id"]: Business(**b) for b in world_data["businesses"]},
    )
    objects = ObjectStore()
    for entry in data["objects"]:
        obj = OBJECT_TYPES[entry["type"]](**entry["fields"])
        if isinstance(obj, Video) and not obj.upload_finished:
            obj.bytes_received = 0  # the bytes were in memory only
        objects.add(obj)
    objects.jobs = {
        object_id: _restored_job(job) for object_id, job in data["media_checks"].items()
    }
    # The saved counter continues the last run; the clock-based start wins when the file is
    # older than ids handed out since (a copy restored from a backup, say).
    objects.next_number = max(objects.next_number, int(data["next_id_number"]))
    objects.disapprove_next = data["disapprove_next"]
    objects.disapproval_feedback = data["disapproval_feedback"]
    authorizations = {a["user_id"]: Authorization(**a) for a in data["authorizations"]}
    codes = {c["code"]: AuthCode(**c) for c in data["codes"]}
    tokens = {t["value"]: Token(**t) for t in data["tokens"]}
    offset = float(data["clock_offset_seconds"])
    saved_engagement = data.get("engagement")
    people = _restored_engagement(saved_engagement) if saved_engagement is not None else None
    same_options = data["initial_settings"] == asdict(state.initial_settings)
    settings = type(state.settings)(**data["settings"]) if same_options else state.settings
    app_subscriptions, page_subscriptions = state.webhooks.parse_subscriptions(
        data.get("webhook_subscriptions")
    )

    # Everything is read: only now change the state, so a bad file changes nothing.
    state.world = world
    state.objects = objects
    state.auth.authorizations = authorizations
    state.auth.codes = codes
    state.auth.tokens = tokens
    if not same_options:
        # Started with other options than last time: the command line wins.
        logger.info("meta_sandbox: options differ from the last run; settings start afresh")
    state.settings = settings
    state.webhooks.restore_subscriptions(app_subscriptions, page_subscriptions)
    state.clock.reset()
    state.clock.advance(offset)
    state.engagement = people or seed.build_engagement(state.clock.now())


def read(path: Path) -> dict[str, Any] | None:
    """Return the saved data, None when there is no file; StateFileError when unreadable."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StateFileError(str(exc)) from exc
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise StateFileError(f"not JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise StateFileError("not a JSON object")
    return data


def encode(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=1, separators=(",", ":"))


def write_atomically(path: Path, text: str) -> None:
    """Write `text` to `path` through a temporary file and os.replace.

    The file is readable by its owner only: it holds access tokens.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(temporary, path)


def set_aside(path: Path) -> Path:
    """Rename an unusable state file out of the way (kept for a look) and return its new name."""
    aside = path.with_name(path.name + ".unusable")
    os.replace(path, aside)
    return aside


# --- media checks ------------------------------------------------------------------------


def _job_dict(job: MediaJob) -> dict[str, Any]:
    if not job.done:
        return {"done": False}
    problem = job.problem
    return {
        "done": True,
        "result": job.result,
        "problem": None if problem is None else [problem.kind, problem.reason],
    }


def _restored_job(saved: dict[str, Any]) -> MediaJob:
    """Return a job that ends as the saved one did, or fails when it was cut short."""
    if not saved["done"]:
        return MediaJob(_fail("fetch", INTERRUPTED))
    if saved["problem"] is not None:
        return MediaJob(_fail(*saved["problem"]))
    result = saved["result"]
    return MediaJob(lambda: result)


def _fail(kind: str, reason: str) -> Any:
    def work() -> None:
        raise MediaProblem(kind, reason)

    return work


# --- engagement: customers, comments, conversations --------------------------------------


def _dump_engagement(store: engagement.EngagementStore) -> dict[str, Any]:
    return {
        "customers": [asdict(c) for c in store.customers.values()],
        "seeded_posts": [asdict(p) for p in store.seeded_posts.values()],
        "seeded_media": [asdict(m) for m in store.seeded_media.values()],
        "comments": [asdict(c) for c in store.comments.values()],
        "reactions": [asdict(r) for r in store.reactions],
        "mentions": [asdict(m) for m in store.mentions],
        "comments_disabled": sorted(store.comments_disabled),
        "conversations": [asdict(c) for c in store.conversations.values()],
        "messages": [asdict(m) for m in store.messages.values()],
    }


def _restored_engagement(data: dict[str, Any]) -> engagement.EngagementStore:
    store = engagement.EngagementStore()
    store.customers = {c["id"]: engagement.Customer(**c) for c in data["customers"]}
    store.seeded_posts = {p["id"]: PagePost(**p) for p in data["seeded_posts"]}
    store.seeded_media = {m["id"]: IgMedia(**m) for m in data["seeded_media"]}
    store.comments = {c["id"]: engagement.Comment(**c) for c in data["comments"]}
    store.reactions = [engagement.Reaction(**r) for r in data["reactions"]]
    store.mentions = [engagement.Mention(**m) for m in data["mentions"]]
    store.comments_disabled = set(data["comments_disabled"])
    store.conversations = {c["id"]: messaging.Conversation(**c) for c in data["conversations"]}
    store.messages = {m["id"]: messaging.Message(**m) for m in data["messages"]}
    return store
