"""Test API for publishing: created objects, the ad review switch, world tweaks.

Like the rest of `/_sandbox/` it needs no token and is never hit by faults.

    GET  /_sandbox/objects?kind=&owner=&marker=   {"count": n, "data": [object, ...]}
         every object the app created (IG containers and media, Page posts, photos,
         videos and reels, ad images, videos, creatives, campaigns, ad sets, ads),
         oldest first: {"kind","id","owner_id","marker","created_at","status","data"}.
         `marker` is the caption/message/name the create request carried, so a test
         can assert "exactly one post with this text exists".
    POST /_sandbox/ad_review   {"disapprove_next": n, "feedback": {"global": {...}}}
         the next n ads created end their review DISAPPROVED with that feedback
         -> {"disapprove_next": n}
    POST /_sandbox/pages/<page-id>          {"tasks": [...]}      -> the Page
    POST /_sandbox/ad_accounts/<act_id>     {"account_status": n, "disable_reason": n}
"""

from dataclasses import asdict
from typing import Any

from werkzeug.wrappers import Response

from meta_sandbox.endpoints.sandbox_api import _bad, _done, _payload
from meta_sandbox.routing import Call, route

KINDS = (
    "ig_container",
    "ig_media",
    "page_post",
    "page_photo",
    "page_video",
    "page_reel",
    "ad_image",
    "ad_video",
    "ad_creative",
    "campaign",
    "adset",
    "ad",
    "report_run",
)


@route("GET", "/_sandbox/objects", auth="none")
def list_objects(call: Call) -> dict[str, Any]:
    kind = call.param("kind") or None
    if kind is not None and kind not in KINDS:
        raise _bad(f"unknown kind {kind!r}; one of {', '.join(KINDS)}")
    found = call.state.describe_objects(
        kind=kind, owner_id=call.param("owner") or None, marker=call.param("marker")
    )
    return {"count": len(found), "data": found}


@route("POST", "/_sandbox/ad_review", auth="none")
def arm_ad_review(call: Call) -> Response | dict[str, Any]:
    data = _payload(call)
    try:
        count = int(data.get("disapprove_next", 1))
    except (TypeError, ValueError) as exc:
        raise _bad("disapprove_next must be an integer") from exc
    feedback = data.get("feedback")
    if feedback is not None and not isinstance(feedback, dict):
        raise _bad("feedback must be an object like {'global': {'REASON': 'text'}}")
    store = call.state.objects
    store.disapprove_next = max(0, count)
    if feedback is not None:
        store.disapproval_feedback = feedback
    return _done(call, {"disapprove_next": store.disapprove_next})


@route("POST", "/_sandbox/pages/{page_id}", auth="none")
def update_page(call: Call) -> dict[str, Any]:
    page = call.state.world.pages.get(call.args["page_id"])
    if page is None:
        raise _bad(f"unknown page {call.args['page_id']!r}")
    tasks = _payload(call).get("tasks")
    if not isinstance(tasks, list):
        raise _bad("tasks must be a list")
    page.tasks = [str(task) for task in tasks]
    return asdict(page)


@route("POST", "/_sandbox/ad_accounts/{account_id}", auth="none")
def update_ad_account(call: Call) -> dict[str, Any]:
    account = call.state.world.ad_accounts.get(call.args["account_id"])
    if account is None:
        raise _bad(f"unknown ad account {call.args['account_id']!r}")
    data = _payload(call)
    try:
        for key in ("account_status", "disable_reason"):
            if key in data:
                setattr(account, key, int(data[key]))
    except (TypeError, ValueError) as exc:
        raise _bad("account_status and disable_reason are integers") from exc
    return {"id": account.id, **asdict(account)}
