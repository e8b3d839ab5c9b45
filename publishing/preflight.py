"""Preflight: a registry of small checks, each answering ok / warn / fail with a message and a fix.

Checks declare the targets they apply to and whether they reach the network. Cheap checks run
inline whenever a publication is saved; network checks (Meta can download our media URL, the
product URL answers, the IG quota, the ad account's state) run in a job. Results are stored on
the publication with a fingerprint of the inputs they checked, so a change of inputs makes them
stale. Publishing refuses while any check fails or the results are stale.
"""

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from django.utils import timezone

from publishing.models import Publication

OK, WARN, FAIL, PENDING = "ok", "warn", "fail", "pending"


@dataclass(frozen=True)
class CheckResult:
    key: str
    status: str
    message: str
    fix: str = ""
    # A one-click fix the page can offer, e.g. {"kind": "transcode", "asset": 3, "placement": …}
    action: dict[str, Any] = field(default_factory=dict)


CheckFunction = Callable[[Publication], list[CheckResult]]


@dataclass(frozen=True)
class Check:
    key: str
    label: str
    run: CheckFunction
    targets: frozenset[str] | None = None  # None: every target
    network: bool = False

    def applies_to(self, publication: Publication) -> bool:
        return self.targets is None or publication.target in self.targets


_CHECKS: dict[str, Check] = {}


def register(check: Check) -> Check:
    _CHECKS[check.key] = check
    return check


def checks_for(publication: Publication) -> list[Check]:
    return [check for check in _CHECKS.values() if check.applies_to(publication)]


def inputs_fingerprint(publication: Publication) -> str:
    """Hash what the checks look at, so a changed input makes the results stale.

    The publish time is left out: the checks that depend on it (schedule window, token
    expiry) are cheap and run again inline whenever it changes, and moving a schedule must
    not throw away the network checks' results.
    """
    # The files by what they hold (checksum, storage key) and whether they are usable, not by
    # ``updated_at``: jobs write to a file's row (the decode check, leases) without changing it.
    items = list(
        publication.items.values_list(
            "asset_id", "asset__sha256", "asset__storage_key", "asset__status", "position"
        )
    )
    cover = publication.cover_asset
    data: dict[str, Any] = {
        "fields": [
            publication.target,
            publication.caption,
            publication.link_url,
            publication.cta_type,
            publication.page_id,
            publication.instagram_account_id,
            publication.ad_account_id,
            publication.objective,
            publication.budget_type,
            publication.budget_minor,
            publication.special_ad_categories,
            publication.targeting,
            publication.placements,
            publication.ad_starts_at,
            publication.ad_ends_at,
            cover.pk if cover else None,
            [cover.sha256, cover.storage_key, cover.status] if cover else None,
        ],
        "items": items,
    }
    if publication.promoted_id is not None:
        # Only where there is one, so every other publication's fingerprint stays as it was.
        data["promoted"] = publication.promoted_id
    # sort_keys: jsonb hands dict keys back in its own order.
    return hashlib.sha256(json.dumps(data, default=str, sort_keys=True).encode()).hexdigest()


NETWORK_DONE = ":net"  # suffix of ``preflight_inputs`` once the network checks ran on them


def run_preflight(publication: Publication, *, network: bool) -> list[CheckResult]:
    """Run the checks (network ones too when ``network``), store and return the results.

    Without ``network``, network checks keep their last results if they ran on the same
    inputs (a check that found nothing to check stays silent), else they show as pending
    until the job runs them.
    """
    fingerprint = inputs_fingerprint(publication)
    network_done = publication.preflight_inputs == fingerprint + NETWORK_DONE
    previous = [CheckResult(**result) for result in publication.preflight] if network_done else []
    results: list[CheckResult] = []
    for check in checks_for(publication):
        if check.network and not network:
            if network_done:
                results += [r for r in previous if r.key.split(":")[0] == check.key]
            else:
                results.append(CheckResult(check.key, PENDING, f"{check.label}: checking…"))
            continue
        results += check.run(publication)
    publication.preflight = [asdict(result) for result in results]
    publication.preflight_inputs = fingerprint + (NETWORK_DONE if network or network_done else "")
    publication.preflight_checked_at = timezone.now()
    publication.delivery = "upload" if _needs_upload(results) else "url"
    Publication.objects.filter(pk=publication.pk).update(
        preflight=publication.preflight,
        preflight_inputs=publication.preflight_inputs,
        preflight_checked_at=publication.preflight_checked_at,
        delivery=publication.delivery,
    )
    return results


def _needs_upload(results: list[CheckResult]) -> bool:
    return any(r.key == "media_fetchable" and r.status == WARN for r in results)


def preflight_blockers(publication: Publication) -> list[str]:
    """Return why the stored results don't allow publishing (empty list: they do)."""
    if publication.preflight_inputs.removesuffix(NETWORK_DONE) != inputs_fingerprint(publication):
        return ["The checks are out of date: run them again."]
    blockers = [r["message"] for r in publication.preflight if r["status"] == FAIL]
    if any(r["status"] == PENDING for r in publication.preflight):
        blockers.append("Some checks are still running.")
    return blockers
