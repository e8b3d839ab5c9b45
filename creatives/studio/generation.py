"""AI creative generation: scripts, edits as versions, storyboards, images, voice-over, videos.

Every generation is a ``GenerationJob`` row (ARCHITECTURE §5 "Jobs"): a view starts one,
a worker claims it with a lease and runs its steps, writing progress and a human message
as it goes. Each step keeps what it made before the next starts (scripts, scenes, images,
the voice-over, each video), so a failed job shows what went wrong, keeps the parts, and a
retry picks up where it stopped instead of paying for the same calls twice.

Every provider call goes through ``_Session``, which refuses calls once the workspace's
monthly cost cap is reached and records each call (provider, model, prompt, units, cost)
as an ``AICall`` row, whether the call succeeded or not.
"""

import logging
import re
from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Membership, Workspace
from accounts.permissions import has_permission
from campaigns.models import AudienceCohort, Campaign
from creatives.library import services as media_services
from creatives.library.errors import MediaError
from creatives.library.media.specs import check_conformance
from creatives.library.models import MediaAsset
from creatives.library.selectors import facts_for_asset
from creatives.studio import ai, tasks
from creatives.studio.ai import base as ai_base
from creatives.studio.compose import Caption, ComposeError, CompositionSpec, EndCard, compose_video
from creatives.studio.compose import Scene as ComposeScene
from creatives.studio.compose.spec import SIZES
from creatives.studio.errors import GenerationError
from creatives.studio.models import (
    ASPECTS,
    AICall,
    AISettings,
    Creative,
    GenerationJob,
    SceneImage,
    Script,
    ScriptVersion,
    Storyboard,
    StoryboardScene,
)
from prosocial import jobs
from prosocial.jobs import LeaseLost

logger = logging.getLogger(__name__)

Kind = GenerationJob.Kind
JobStatus = GenerationJob.Status
OPEN = (JobStatus.QUEUED, JobStatus.RUNNING)
MAX_ATTEMPTS = 4
MAX_VARIANTS_PER_RUN = 5
PLACEMENT_FOR_ASPECT = {"9:16": "ig_reel", "1:1": "ig_feed_video", "4:5": "ig_feed_video"}
MOTIONS = ("zoom_in", "pan_right", "zoom_out", "pan_left")
T = TypeVar("T")


# --- Settings, spend and the cost cap --------------------------------------------------------


def ai_settings_for(workspace: Workspace) -> AISettings:
    """Return the workspace's AI settings (unsaved defaults when never changed)."""
    found = AISettings.objects.filter(workspace=workspace).first()
    return found or AISettings(workspace=workspace)


def monthly_cap_usd(row: AISettings) -> Decimal:
    if row.monthly_cap_usd is not None:
        return row.monthly_cap_usd
    return Decimal(settings.AI_MONTHLY_COST_CAP_USD)


def month_start(now: datetime | None = None) -> datetime:
    now = timezone.localtime(now or timezone.now())
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def spent_micro_usd(workspace_id: int, *, since: datetime | None = None) -> int:
    """Return what the workspace's AI calls cost since ``since`` (default: this month)."""
    calls = AICall.objects.filter(workspace_id=workspace_id, created_at__gte=since or month_start())
    return int(calls.aggregate(total=Sum("cost_micro_usd"))["total"] or 0)


def campaign_cost_micro_usd(campaign: Campaign) -> int:
    calls = AICall.objects.filter(campaign=campaign)
    return int(calls.aggregate(total=Sum("cost_micro_usd"))["total"] or 0)


def usd(micro: int) -> str:
    """Format micro-dollars for people: "$0.0042", "$1.25"."""
    dollars = Decimal(micro) / 1_000_000
    return f"${dollars:,.2f}" if dollars >= 1 or dollars == 0 else f"${dollars:.4f}"


class AICostCapError(ai_base.AIError):
    """The workspace reached its monthly AI budget."""


@dataclass(frozen=True)
class Budget:
    """A workspace's AI spending this month against its cap (micro-dollars)."""

    spent_micro: int
    cap_micro: int

    @property
    def used_up(self) -> bool:
        return self.spent_micro >= self.cap_micro

    @property
    def percent(self) -> int:
        return min(100, self.spent_micro * 100 // self.cap_micro) if self.cap_micro else 100


def budget_for(workspace: Workspace) -> Budget:
    cap = monthly_cap_usd(ai_settings_for(workspace))
    return Budget(spent_micro=spent_micro_usd(workspace.pk), cap_micro=int(cap * 1_000_000))


def check_cost_cap(workspace: Workspace) -> None:
    budget = budget_for(workspace)
    spent, cap_micro = budget.spent_micro, budget.cap_micro
    if budget.used_up:
        next_month = (month_start() + timedelta(days=32)).replace(day=1)
        raise AICostCapError(
            _(
                "This workspace has used %(spent)s of its %(cap)s monthly AI budget. An owner "
                "or admin can raise the cap in AI settings, or switch to the built-in provider; "
                "the budget starts again on %(date)s."
            )
            % {"spent": usd(spent), "cap": usd(cap_micro), "date": next_month.date().isoformat()}
        )


def provider_name_for(workspace: Workspace) -> str:
    """Return which provider the workspace's jobs use now ("openai" or "offline")."""
    chosen = ai_settings_for(workspace).provider
    if chosen == AISettings.Provider.AUTO:
        return "openai" if settings.OPENAI_API_KEY else "offline"
    return chosen


def provider_for(workspace: Workspace) -> ai_base.Provider:
    """Return a fresh provider as the workspace's AI settings ask (raises AIError)."""
    row = ai_settings_for(workspace)
    name = None if row.provider == AISettings.Provider.AUTO else row.provider
    return ai.get_provider(
        name,
        text_model=row.text_model,
        image_model=row.image_model,
        speech_model=row.speech_model,
    )


def update_ai_settings(*, actor: Membership, fields: dict[str, Any]) -> AISettings:
    if not has_permission(actor.role, "workspace.update"):
        raise GenerationError(_("Only owners and admins can change the AI settings."))
    if fields.get("provider") == AISettings.Provider.OPENAI and not settings.OPENAI_API_KEY:
        raise GenerationError(
            _("This server has no OpenAI key (OPENAI_API_KEY), so OpenAI can't be chosen.")
        )
    row, _created = AISettings.objects.update_or_create(workspace=actor.workspace, defaults=fields)
    return row


class _Session:
    """A provider whose every call is checked against the cost cap and recorded."""

    def __init__(self, job: GenerationJob, provider: ai_base.Provider) -> None:
        self.job = job
        self.provider = provider
        self.last_model = ""

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        if not self.provider.free:
            check_cost_cap(self.job.workspace)
        try:
            return fn(*args, **kwargs)
        finally:
            self._record()

    def _record(self) -> None:
        rows = record_usage(
            self.provider,
            workspace_id=self.job.workspace_id,
            campaign_id=self.job.campaign_id,
            job=self.job,
        )
        if rows:
            self.last_model = rows[-1].model


def record_usage(
    provider: ai_base.Provider,
    *,
    workspace_id: int,
    campaign_id: int | None = None,
    job: GenerationJob | None = None,
    prompt: str | None = None,
) -> list[AICall]:
    """Record every call ``provider`` made since the last time as ``AICall`` rows with their cost.

    ``prompt`` replaces what the provider sent, for callers whose prompts hold other people's
    personal data (the inbox records a description of the thread instead of its messages).
    """
    rows = [
        AICall(
            workspace_id=workspace_id,
            campaign_id=campaign_id,
            job=job,
            provider=usage.provider,
            model=usage.model,
            operation=usage.operation,
            prompt=(usage.prompt if prompt is None else prompt)[:8000],
            unit=usage.unit,
            input_units=usage.input_units,
            output_units=usage.output_units,
            cost_micro_usd=usage.cost_micro_usd,
        )
        for usage in provider.take_usage()
    ]
    if rows:
        AICall.objects.bulk_create(rows)
    return rows


# --- From rows to provider inputs ----------------------------------------------------------


def brief_for(campaign: Campaign, cohort: AudienceCohort) -> ai_base.Brief:
    languages = list(cohort.languages or []) + list(campaign.languages or [])
    return ai_base.Brief(
        product_name=campaign.product_name,
        key_message=campaign.key_message,
        objective=campaign.objective,
        product_url=campaign.product_url,
        offer=campaign.offer,
        tone=campaign.tone,
        cta=campaign.call_to_action,
        language=(languages[0] if languages else "en"),
        brand_colours=tuple(campaign.brand_colors or ()),
        cohort=ai_base.Cohort(
            name=cohort.name,
            description=cohort.description,
            age_min=cohort.age_min,
            age_max=cohort.age_max,
            countries=tuple(cohort.countries or ()),
            interests=tuple(cohort.interests or ()),
        ),
    )


def brief_problems(campaign: Campaign) -> list[str]:
    """Why a brief can't be written for yet (empty fields, dates the wrong way round)."""
    problems = []
    if not campaign.product_name.strip():
        problems.append(_("The brief needs a product name."))
    if not campaign.key_message.strip():
        problems.append(_("The brief needs a key message: what should people take away?"))
    if campaign.starts_on and campaign.ends_on and campaign.ends_on < campaign.starts_on:
        problems.append(_("The brief ends before it starts; fix the dates."))
    return problems


def variant_of(version: ScriptVersion) -> ai_base.ScriptVariant:
    return ai_base.ScriptVariant(
        hook=version.hook,
        body=version.body,
        cta=version.cta,
        voiceover=version.voiceover,
        on_screen_text=tuple(version.on_screen_text),
        caption=version.caption,
        hashtags=tuple(version.hashtags),
        language=version.language,
    )


def _version_fields(variant: ai_base.ScriptVariant) -> dict[str, Any]:
    return {
        "hook": variant.hook[:500],
        "body": variant.body[:2000],
        "cta": variant.cta[:500],
        "voiceover": variant.voiceover[:4000],
        "on_screen_text": [line[:200] for line in variant.on_screen_text],
        "caption": variant.caption[:2200],
        "hashtags": [tag[:100] for tag in variant.hashtags],
        "language": variant.language[:8],
        "note": variant.note[:300],
    }


def current_storyboard(script: Script) -> Storyboard | None:
    return script.storyboards.order_by("-created_at", "-id").first()


# --- Starting jobs (views call these) --------------------------------------------------------


def _require_editor(actor: Membership) -> None:
    if not has_permission(actor.role, "content.edit"):
        raise GenerationError(_("Your role can't generate or edit creatives."))


def _start(
    actor: Membership,
    kind: str,
    campaign: Campaign,
    *,
    cohort: AudienceCohort | None = None,
    script: Script | None = None,
    scene: StoryboardScene | None = None,
    params: dict[str, Any] | None = None,
) -> GenerationJob:
    _require_editor(actor)
    problems = brief_problems(campaign)
    if problems:
        raise GenerationError(" ".join(problems))
    if campaign.status == Campaign.Status.ARCHIVED:
        raise GenerationError(_("This campaign is archived; restore it to generate creatives."))
    busy = GenerationJob.objects.filter(
        campaign=campaign, kind=kind, cohort=cohort, script=script, scene=scene, status__in=OPEN
    )
    if busy.exists():
        raise GenerationError(_("The same generation is already running; wait for it to finish."))
    job = GenerationJob.objects.create(
        workspace=actor.workspace,
        campaign=campaign,
        cohort=cohort,
        script=script,
        scene=scene,
        kind=kind,
        params=params or {},
        created_by=actor.user,
        message=_("Waiting for a worker…"),
        next_attempt_at=timezone.now(),
    )
    _enqueue(job.pk)
    return job


def _enqueue(job_id: int, *, countdown: float = 0) -> None:
    transaction.on_commit(
        partial(tasks.run_generation_job_task.apply_async, (job_id,), countdown=countdown)
    )


@transaction.atomic
def start_scripts(*, actor: Membership, cohort: AudienceCohort, variants: int) -> GenerationJob:
    """Ask for ``variants`` new script variants for a cohort."""
    if not 1 <= variants <= MAX_VARIANTS_PER_RUN:
        raise GenerationError(
            _("Ask for between 1 and %(max)d variants at a time.") % {"max": MAX_VARIANTS_PER_RUN}
        )
    return _start(
        actor, Kind.SCRIPTS, cohort.campaign, cohort=cohort, params={"variants": variants}
    )


# --- Make more like this ----------------------------------------------------------------------

# What a results summary may say it covers: Meta's ``date_preset`` values, Instagram's
# ``lifetime``, or dates "YYYY-MM-DD..YYYY-MM-DD" (GRAPH_NOTES §4.7, §10).
RESULT_PRESETS = frozenset(
    {
        "today",
        "yesterday",
        "this_month",
        "last_month",
        "this_quarter",
        "last_quarter",
        "this_year",
        "last_year",
        "last_3d",
        "last_7d",
        "last_14d",
        "last_28d",
        "last_30d",
        "last_90d",
        "maximum",
        "lifetime",
    }
)
RESULT_DATES = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")
RESULT_KEYS = frozenset({"ctr", "cost_per_result", "currency", "reach", "engagement_rate", "range"})
RESULT_METRICS = ("ctr", "cost_per_result", "reach", "engagement_rate")
# The largest figures taken (anything beyond is a typo or not a figure from Meta).
MAX_PERCENT = Decimal(100)
MAX_COST = Decimal(1_000_000)
MAX_REACH = 10**12
MAX_DECIMALS = 6
CURRENCY = re.compile(r"^[A-Z]{3}$")


def parse_results(raw: dict[str, Any]) -> ai_base.Results:
    """Return the results summary ``raw`` states, or raise ``GenerationError`` saying what is wrong.

    Strict: only the known keys; numbers (never booleans, NaN or infinities) within range —
    CTR and engagement rate 0-100 %, a cost per result of 0-1,000,000 in ``currency`` (three
    capital letters), a whole reach of 0-10^12 — given as text or decimals with at most six
    decimals (floats, which computed rates often are, are rounded to six); ``range`` a
    ``date_preset`` or "YYYY-MM-DD..YYYY-MM-DD" (start before end). At least one figure.
    """
    unknown = sorted(set(raw) - RESULT_KEYS)
    if unknown:
        raise GenerationError(
            _("Unknown results: %(names)s. Send %(known)s.")
            % {"names": ", ".join(unknown), "known": ", ".join(sorted(RESULT_KEYS))}
        )
    values = {key: value for key, value in raw.items() if value not in (None, "")}
    if not any(key in values for key in RESULT_METRICS):
        raise GenerationError(
            _("Give at least one result: CTR, cost per result, reach or engagement rate.")
        )
    currency = str(values.get("currency", "")).strip().upper()
    if currency and not CURRENCY.match(currency):
        raise GenerationError(_("The currency is a three-letter code, such as USD or EUR."))
    return ai_base.Results(
        ctr=_decimal(values, "ctr", _("CTR"), MAX_PERCENT),
        cost_per_result=_decimal(values, "cost_per_result", _("The cost per result"), MAX_COST),
        currency=currency,
        reach=_whole(values, "reach", _("Reach"), MAX_REACH),
        engagement_rate=_decimal(values, "engagement_rate", _("The engagement rate"), MAX_PERCENT),
        period=parse_period(str(values.get("range", "")).strip()),
    )


def _decimal(values: dict[str, Any], key: str, label: str, top: Decimal) -> Decimal | None:
    if key not in values:
        return None
    value = values[key]
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise GenerationError(_("%(label)s must be a number.") % {"label": label})
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise GenerationError(_("%(label)s must be a number.") % {"label": label}) from None
    if not number.is_finite():
        raise GenerationError(_("%(label)s must be a number.") % {"label": label})
    if not Decimal(0) <= number <= top:
        raise GenerationError(
            _("%(label)s must be between 0 and %(top)s.") % {"label": label, "top": f"{top:,}"}
        )
    if isinstance(value, float):
        number = number.quantize(Decimal(1).scaleb(-MAX_DECIMALS))
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > MAX_DECIMALS:
        raise GenerationError(
            _("%(label)s has more than %(n)d decimals.") % {"label": label, "n": MAX_DECIMALS}
        )
    return number


def _whole(values: dict[str, Any], key: str, label: str, top: int) -> int | None:
    if key not in values:
        return None
    value = values[key]
    text = str(value).strip()
    whole = isinstance(value, int | str) and not isinstance(value, bool)
    if not (whole and text.isascii() and text.isdigit()):
        raise GenerationError(_("%(label)s must be a whole number.") % {"label": label})
    if len(text) > len(str(top)) or int(text) > top:
        raise GenerationError(
            _("%(label)s must be at most %(top)s.") % {"label": label, "top": f"{top:,}"}
        )
    return int(text)


def parse_period(text: str) -> str:
    """Return ``text`` if it names a results period (``RESULT_PRESETS`` or dates), else raise."""
    if not text or text in RESULT_PRESETS:
        return text
    match = RESULT_DATES.match(text)
    try:
        dates = [date.fromisoformat(part) for part in match.groups()] if match else []
    except ValueError:
        dates = []
    if not dates or dates[1] < dates[0]:
        raise GenerationError(
            _(
                "The range is a period such as last_30d, or two dates "
                "“YYYY-MM-DD..YYYY-MM-DD”, the first not after the second."
            )
        )
    return text


@transaction.atomic
def generate_more_like(
    *,
    actor: Membership,
    script: Script,
    results: dict[str, Any],
    variants: int = ai_base.MAX_MORE_LIKE,
) -> GenerationJob:
    """Start writing ``variants`` new variants for ``script``'s audience, modelled on it.

    *Make more like this*: the job gives the provider the script's current text and the
    results summary (``parse_results``; ``GenerationError`` when it is wrong, nothing
    written), and records both on every variant it writes (``Script.modelled_on*``). The
    workspace's AI budget applies as to every job: a paid provider's call is refused once the
    cap is reached, and the job fails saying so.
    """
    _require_editor(actor)
    summary = parse_results(results)
    if not 1 <= variants <= ai_base.MAX_MORE_LIKE:
        raise GenerationError(
            _("Ask for between 1 and %(max)d variants like this one.")
            % {"max": ai_base.MAX_MORE_LIKE}
        )
    if script.campaign.workspace_id != actor.workspace_id:
        raise GenerationError(_("That variant belongs to another workspace."))
    version = script.current
    if version is None:
        raise GenerationError(_("This variant has no text yet; write or regenerate it first."))
    like = {
        "script_id": script.pk,
        "number": script.number,
        "version": version.number,
        "text": {name: getattr(version, name) for name in (*SCRIPT_FIELDS, "language")},
        "results": summary.as_data(),
    }
    return _start(
        actor,
        Kind.SCRIPTS,
        script.campaign,
        cohort=script.cohort,
        script=script,
        params={"variants": variants, "like": like},
    )


def _winner(like: dict[str, Any]) -> ai_base.Winner:
    text = like["text"]
    return ai_base.Winner(
        script=ai_base.ScriptVariant(
            hook=text["hook"],
            body=text["body"],
            cta=text["cta"],
            voiceover=text["voiceover"],
            on_screen_text=tuple(text["on_screen_text"]),
            caption=text["caption"],
            hashtags=tuple(text["hashtags"]),
            language=text.get("language", "en"),
        ),
        number=int(like["number"]),
        results=ai_base.Results.from_data(like["results"]),
    )


@transaction.atomic
def regenerate_script(*, actor: Membership, script: Script) -> GenerationJob:
    """Ask the AI for a new version of one variant (earlier versions are kept)."""
    return _start(actor, Kind.SCRIPT, script.campaign, cohort=script.cohort, script=script)


@transaction.atomic
def start_storyboard(*, actor: Membership, script: Script) -> GenerationJob:
    return _start(actor, Kind.STORYBOARD, script.campaign, cohort=script.cohort, script=script)


@transaction.atomic
def regenerate_scene_image(
    *, actor: Membership, scene: StoryboardScene, aspect: str
) -> GenerationJob:
    if aspect not in ASPECTS:
        raise GenerationError(_("Pick 9:16, 1:1 or 4:5."))
    script = scene.storyboard.script
    return _start(
        actor,
        Kind.IMAGE,
        script.campaign,
        cohort=script.cohort,
        script=script,
        scene=scene,
        params={"aspect": aspect},
    )


@transaction.atomic
def start_voiceover(*, actor: Membership, script: Script) -> GenerationJob:
    if current_storyboard(script) is None:
        raise GenerationError(_("Make the storyboard first: the voice-over reads its lines."))
    return _start(actor, Kind.VOICEOVER, script.campaign, cohort=script.cohort, script=script)


@transaction.atomic
def start_videos(
    *,
    actor: Membership,
    script: Script,
    aspects: list[str],
    music: MediaAsset | None = None,
    voiceover: bool = True,
) -> GenerationJob:
    """Render the script as a finished video per aspect ratio (making missing parts first)."""
    chosen = [aspect for aspect in ASPECTS if aspect in aspects]
    if not chosen:
        raise GenerationError(_("Pick at least one aspect ratio: 9:16, 1:1 or 4:5."))
    if music is not None and (
        music.workspace_id != actor.workspace_id
        or music.kind != MediaAsset.Kind.AUDIO
        or music.status != MediaAsset.Status.READY
    ):
        raise GenerationError(_("The music must be a ready audio file from this workspace."))
    params = {"aspects": chosen, "music_id": music.pk if music else None, "voiceover": voiceover}
    return _start(
        actor, Kind.VIDEO, script.campaign, cohort=script.cohort, script=script, params=params
    )


@transaction.atomic
def retry_job(*, actor: Membership, job: GenerationJob) -> GenerationJob:
    """Run a failed job again; what it made before it failed is kept and not redone."""
    _require_editor(actor)
    job = GenerationJob.objects.select_for_update().get(pk=job.pk)
    if job.status != JobStatus.FAILED:
        raise GenerationError(_("Only a failed job can be retried."))
    job.status = JobStatus.QUEUED
    job.error = ""
    job.retryable = False
    # Attempts only grow (they fence out a stale worker); the limit counts from here.
    job.params = {**job.params, "attempts_before_retry": job.attempts}
    job.lease_expires_at = None
    job.next_attempt_at = timezone.now()
    job.finished_at = None
    job.message = _("Waiting for a worker…")
    job.save(
        update_fields=[
            "status",
            "error",
            "retryable",
            "params",
            "lease_expires_at",
            "next_attempt_at",
            "finished_at",
            "message",
            "updated_at",
        ]
    )
    _enqueue(job.pk)
    return job


# --- Edits (inline, no AI) -------------------------------------------------------------------

SCRIPT_FIELDS = ("hook", "body", "cta", "voiceover", "on_screen_text", "caption", "hashtags")


@transaction.atomic
def edit_script(*, actor: Membership, script: Script, fields: dict[str, Any]) -> ScriptVersion:
    """Save the edited text as a new version (the AI's and earlier versions are kept)."""
    _require_editor(actor)
    # Lock the script row only: PostgreSQL can't lock the nullable side of the outer join.
    script = (
        Script.objects.select_for_update(of=("self",)).select_related("current").get(pk=script.pk)
    )
    current = script.current
    if current is not None and all(
        getattr(current, name) == fields[name] for name in SCRIPT_FIELDS
    ):
        raise GenerationError(_("Nothing changed, so no new version was saved."))
    return _add_version(
        script,
        origin=ScriptVersion.Origin.HUMAN,
        author=actor.user,
        fields={
            **{name: fields[name] for name in SCRIPT_FIELDS},
            "language": current.language if current else "en",
        },
    )


@transaction.atomic
def use_version(*, actor: Membership, script: Script, version: ScriptVersion) -> None:
    """Make an earlier version the current one again."""
    _require_editor(actor)
    if version.script_id != script.pk:
        raise GenerationError(_("That version belongs to another script."))
    Script.objects.filter(pk=script.pk).update(current=version, updated_at=timezone.now())


SCENE_FIELDS = ("duration_s", "visual", "on_screen_text", "voiceover_line")


@transaction.atomic
def edit_scene(*, actor: Membership, scene: StoryboardScene, fields: dict[str, Any]) -> None:
    """Change one scene; pictures showing changed text and a changed voice-over are remade.

    Its pictures carry the on-screen text, so they are dropped (the next video job redraws
    them) when the text or the visual changes; the voice-over, when a spoken line changes.
    """
    _require_editor(actor)
    scene = StoryboardScene.objects.select_for_update().get(pk=scene.pk)
    storyboard = scene.storyboard
    if fields["on_screen_text"] != scene.on_screen_text or fields["visual"] != scene.visual:
        scene.images.all().delete()
    if fields["voiceover_line"] != scene.voiceover_line:
        storyboard.voiceover = None
    for name in SCENE_FIELDS:
        setattr(scene, name, fields[name])
    scene.save(update_fields=list(SCENE_FIELDS))
    storyboard.origin = ScriptVersion.Origin.HUMAN
    storyboard.save(update_fields=["origin", "voiceover", "updated_at"])


@transaction.atomic
def set_creative_approval(*, actor: Membership, creative: Creative, approved: bool) -> None:
    """Approve a finished video for publishing (or take the approval back)."""
    _require_editor(actor)
    now = timezone.now()
    Creative.objects.filter(pk=creative.pk).update(
        approved_at=now if approved else None,
        approved_by=actor.user if approved else None,
    )
    if approved:  # an approved video counts as used: retention of unused media starts again
        MediaAsset.objects.filter(pk=creative.asset_id).update(last_used_at=now)


def _add_version(
    script: Script, *, origin: str, fields: dict[str, Any], author: Any = None, **extra: str
) -> ScriptVersion:
    number = (script.versions.aggregate(top=Max("number"))["top"] or 0) + 1
    version = ScriptVersion.objects.create(
        script=script, number=number, origin=origin, author=author, **fields, **extra
    )
    Script.objects.filter(pk=script.pk).update(current=version, updated_at=timezone.now())
    script.current = version
    return version


# --- Running jobs (the worker) ---------------------------------------------------------------


GENERATION = jobs.register(
    jobs.JobKind(
        name="generation job",
        model=GenerationJob,
        runnable=Q(status__in=OPEN),
        enqueue=_enqueue,
        running_status=JobStatus.RUNNING,
        done_status=JobStatus.SUCCEEDED,
        failed_status=JobStatus.FAILED,
        failed_message=lambda: _("Stopped: see why below."),
        finished_field="finished_at",
        max_attempts=MAX_ATTEMPTS,
        # A retry by the user starts counting again (attempts themselves only grow: they fence).
        attempts_used=lambda job: job.attempts - int(job.params.get("attempts_before_retry", 0)),
        exhausted=lambda n: (
            _("The job stopped %(n)d times before finishing; try again.") % {"n": n}
        ),
    )
)


@dataclass
class _Run:
    """One run of a job: its row, its lease (every write fenced) and its provider session."""

    job: GenerationJob
    attempt: int
    session: _Session | None = None
    lease: jobs.Lease[GenerationJob] = field(init=False)

    def __post_init__(self) -> None:
        self.lease = jobs.Lease(GENERATION, self.job, attempt=self.attempt)

    def update(self, *, force: bool = True, **fields: Any) -> None:
        """Write fields (progress at most once a second unless ``force``); LeaseLost if not ours."""
        if not force and set(fields) == {"progress"}:
            self.lease.progress(fields["progress"])
            return
        self.lease.update(**fields)

    def progress(self, percent: float, message: str | None = None) -> None:
        self.lease.progress(percent, message, force=True)

    def owned(self) -> AbstractContextManager[None]:
        """Open a transaction in which the job is still ours (results are written only inside)."""
        return self.lease.owned()

    @property
    def ai(self) -> _Session:
        if self.session is None:
            raise RuntimeError("the provider session starts with the job")
        return self.session


def run_generation_job(*, job_id: int) -> None:
    """Claim the job and run its steps; a failure is written on the job with what to do."""
    lease = jobs.claim(GENERATION, job_id)
    if lease is None:
        return
    job = GenerationJob.objects.select_related(
        "workspace", "campaign", "cohort", "script__current", "scene__storyboard"
    ).get(pk=job_id)
    run = _Run(job=job, attempt=lease.attempt)
    with run.lease:
        try:
            run.progress(0, _("Starting…"))
            run.session = _Session(job, provider_for(job.workspace))
            message = STEPS[job.kind](run)
        except LeaseLost:
            raise
        except (ai_base.AIError, ComposeError, GenerationError, MediaError) as exc:
            retryable = getattr(exc, "retryable", True)
            _finish(run, JobStatus.FAILED, exc.message, retryable=retryable)
        except SoftTimeLimitExceeded:
            _finish(
                run,
                JobStatus.FAILED,
                _(
                    "The job ran past its time limit and was stopped. What was made is kept; "
                    "try again."
                ),
                retryable=True,
            )
        except Exception as exc:
            logger.exception("generation job %s failed unexpectedly", job_id)
            _finish(
                run,
                JobStatus.FAILED,
                _(
                    "Something went wrong on our side (%(kind)s). What was made so far is kept; "
                    "try again."
                )
                % {"kind": type(exc).__name__},
                retryable=True,
            )
        else:
            _finish(run, JobStatus.SUCCEEDED, message)


def _finish(run: _Run, status: str, message: str, *, retryable: bool = False) -> None:
    """Record the outcome (fenced: LeaseLost when another worker owns the job now)."""
    if status == JobStatus.FAILED:
        run.lease.fail(message, retryable=retryable)
    else:
        run.lease.finish(message=message)


def sweep_generation_jobs() -> int:
    """Enqueue open jobs whose lease expired or that nobody picked up; return how many."""
    return jobs.sweep(GENERATION)


# --- Steps -----------------------------------------------------------------------------------


def _write_scripts(run: _Run) -> str:
    job = run.job
    cohort = job.cohort
    if cohort is None:
        raise GenerationError(_("The audience this job was for was deleted."))
    wanted = int(job.params.get("variants", 3))
    done = Script.objects.filter(pk__in=job.params.get("script_ids", [])).count()
    if done >= wanted:
        return _("%(n)d variants written.") % {"n": wanted}
    existing = Script.objects.filter(cohort=cohort).count()
    run.progress(10, _("Writing %(n)d script variants…") % {"n": wanted - done})
    brief = brief_for(job.campaign, cohort)
    like = job.params.get("like")
    modelled: dict[str, Any] = {}
    if like:  # *Make more like this*: the winner is the job's script (its deletion ends the job)
        variants = run.ai.call(run.ai.provider.write_more_like, brief, _winner(like), wanted - done)
        modelled = {
            "modelled_on": job.script,
            "modelled_on_number": like["number"],
            "modelled_on_results": like["results"],
        }
    else:
        variants = run.ai.call(
            run.ai.provider.write_scripts,
            brief,
            wanted - done,
            offset=existing % ai_base.MAX_VARIANTS,
        )
    with run.owned():
        # One numbering at a time per audience: another job may be writing variants for it.
        list(AudienceCohort.objects.select_for_update().filter(pk=cohort.pk).values_list("pk"))
        top = Script.objects.filter(cohort=cohort).aggregate(top=Max("number"))["top"] or 0
        ids = list(job.params.get("script_ids", []))
        for offset, variant in enumerate(variants, start=1):
            script = Script.objects.create(
                campaign=job.campaign, cohort=cohort, number=top + offset, **modelled
            )
            _add_version(
                script,
                origin=ScriptVersion.Origin.AI,
                fields=_version_fields(variant),
                provider=run.ai.provider.name,
                model=run.ai.last_model,
            )
            ids.append(script.pk)
        run.update(params={**job.params, "script_ids": ids})
    return _("%(n)d variants written.") % {"n": len(variants)}


def _rewrite_script(run: _Run) -> str:
    script = _job_script(run)
    versions = script.versions.count()
    run.progress(10, _("Writing a new version…"))
    offset = (script.number - 1 + 3 * versions) % ai_base.MAX_VARIANTS
    variant = run.ai.call(run.ai.provider.write_scripts, _brief(run), 1, offset=offset)[0]
    with run.owned():
        version = _add_version(
            script,
            origin=ScriptVersion.Origin.AI,
            fields=_version_fields(variant),
            provider=run.ai.provider.name,
            model=run.ai.last_model,
        )
    return _("Version %(n)d written.") % {"n": version.number}


def _make_storyboard(run: _Run, *, low: float = 10, high: float = 100) -> Storyboard:
    script = _job_script(run)
    if script.current is None:
        raise GenerationError(_("This variant has no text yet; write or regenerate it first."))
    run.progress(low, _("Planning the scenes…"))
    board = run.ai.call(run.ai.provider.make_storyboard, _brief(run), variant_of(script.current))
    if not board.scenes:
        raise GenerationError(
            _("The storyboard came back without scenes; try again."), retryable=True
        )
    with run.owned():
        storyboard = Storyboard.objects.create(script=script, script_version=script.current)
        StoryboardScene.objects.bulk_create(
            StoryboardScene(
                storyboard=storyboard,
                position=position,
                duration_s=max(1.5, min(15.0, float(scene.duration_s))),
                visual=scene.visual[:1000],
                on_screen_text=scene.on_screen_text[:200],
                voiceover_line=scene.voiceover_line[:1000],
            )
            for position, scene in enumerate(board.scenes, start=1)
        )
    run.progress(high)
    return storyboard


def _storyboard_step(run: _Run) -> str:
    storyboard = _make_storyboard(run)
    return _("Storyboard with %(n)d scenes ready.") % {"n": storyboard.scenes.count()}


def _image_bytes(asset: MediaAsset | None) -> bytes | None:
    if asset is None or asset.kind != MediaAsset.Kind.IMAGE or not asset.storage_key:
        return None
    with media_services.local_copy(asset.storage_key) as path:
        return path.read_bytes()


@dataclass(frozen=True)
class _BrandImages:
    logo: bytes | None
    product: bytes | None

    @classmethod
    def of(cls, campaign: Campaign) -> "_BrandImages":
        return cls(_image_bytes(campaign.logo), _image_bytes(campaign.product_image))


def _make_scene_image(run: _Run, scene: StoryboardScene, aspect: str, brand: _BrandImages) -> None:
    job = run.job
    image = run.ai.call(
        run.ai.provider.make_image,
        _brief(run),
        ai_base.Scene(scene.duration_s, scene.visual, scene.on_screen_text, scene.voiceover_line),
        SIZES[aspect],
        scene.on_screen_text,
        "",
        logo=brand.logo,
        product_image=brand.product,
    )
    asset = _keep_bytes(
        run,
        image.data,
        f"scene-{scene.position}-{aspect.replace(':', 'x')}.{image.format}",
    )
    with run.owned():
        SceneImage.objects.update_or_create(scene=scene, aspect=aspect, defaults={"asset": asset})
    logger.info("generation job %s: scene %s image %s made", job.pk, scene.pk, aspect)


def _image_step(run: _Run) -> str:
    scene = run.job.scene
    if scene is None:
        raise GenerationError(_("The scene this job was for was deleted."))
    aspect = run.job.params.get("aspect", "9:16")
    run.progress(
        20, _("Drawing scene %(n)d at %(aspect)s…") % {"n": scene.position, "aspect": aspect}
    )
    _make_scene_image(run, scene, aspect, _BrandImages.of(run.job.campaign))
    return _("Scene %(n)d redrawn at %(aspect)s.") % {"n": scene.position, "aspect": aspect}


def _make_voiceover(run: _Run, storyboard: Storyboard) -> MediaAsset | None:
    """Record the storyboard's voice-over; None when the provider has no voice."""
    text = " ".join(
        line for line in storyboard.scenes.values_list("voiceover_line", flat=True) if line.strip()
    )
    if not text:
        return None
    voice = ai_settings_for(run.job.workspace).voice
    speech = run.ai.call(run.ai.provider.speak, text, voice)
    if speech is None:
        return None
    asset = _keep_bytes(run, speech.data, f"voiceover-{storyboard.pk}.{speech.format}")
    with run.owned():
        Storyboard.objects.filter(pk=storyboard.pk).update(voiceover=asset)
    storyboard.voiceover = asset
    return asset


def _voiceover_step(run: _Run) -> str:
    storyboard = current_storyboard(_job_script(run))
    if storyboard is None:
        raise GenerationError(_("Make the storyboard first: the voice-over reads its lines."))
    run.progress(20, _("Recording the voice-over…"))
    if _make_voiceover(run, storyboard) is None:
        return _("The built-in provider has no voice: videos carry captions and music instead.")
    return _("Voice-over recorded.")


def _video_step(run: _Run) -> str:
    job = run.job
    script = _job_script(run)
    aspects = [aspect for aspect in job.params.get("aspects", []) if aspect in ASPECTS]
    storyboard = current_storyboard(script)
    if storyboard is None:
        storyboard = _make_storyboard(run, low=2, high=10)
    scenes = list(storyboard.scenes.all())
    if not scenes:
        raise GenerationError(_("The storyboard has no scenes; make a new one."))
    brand = _BrandImages.of(job.campaign)

    drawn = set(
        SceneImage.objects.filter(scene__in=scenes, aspect__in=aspects).values_list(
            "scene_id", "aspect"
        )
    )
    missing = [
        (scene, aspect) for aspect in aspects for scene in scenes if (scene.pk, aspect) not in drawn
    ]
    for index, (scene, aspect) in enumerate(missing):
        run.progress(
            10 + 40 * index / len(missing),
            _("Drawing scene %(n)d of %(total)d at %(aspect)s…")
            % {"n": scene.position, "total": len(scenes), "aspect": aspect},
        )
        _make_scene_image(run, scene, aspect, brand)

    if (
        job.params.get("voiceover", True)
        and storyboard.voiceover is None
        and not job.params.get("no_voice")
    ):
        run.progress(50, _("Recording the voice-over…"))
        if _make_voiceover(run, storyboard) is None:
            run.update(params={**job.params, "no_voice": True})

    made = dict(job.params.get("creatives", {}))
    todo = [aspect for aspect in aspects if aspect not in made]
    for index, aspect in enumerate(todo):
        low = 55 + 45 * index / len(todo)
        run.progress(low, _("Rendering the %(aspect)s video…") % {"aspect": aspect})
        creative = _compose(run, script, storyboard, aspect, low=low, span=45 / len(todo))
        made[aspect] = creative.pk
        run.update(params={**job.params, "creatives": made})
    return ngettext(
        "%(n)d video ready in the media library.",
        "%(n)d videos ready in the media library.",
        len(aspects),
    ) % {"n": len(aspects)}


def _compose(
    run: _Run, script: Script, storyboard: Storyboard, aspect: str, *, low: float, span: float
) -> Creative:
    job = run.job
    campaign = job.campaign
    music_asset = _music(job)
    scenes = list(storyboard.scenes.all())
    images = {
        image.scene_id: image.asset
        for image in SceneImage.objects.filter(scene__in=scenes, aspect=aspect).select_related(
            "asset"
        )
    }
    with ExitStack() as stack:

        def local(asset: MediaAsset) -> Path:
            return stack.enter_context(media_services.local_copy(asset.storage_key))

        voice = storyboard.voiceover if job.params.get("voiceover", True) else None
        voice_path = local(voice) if voice is not None and voice.storage_key else None
        durations = scene_durations_for_voice(
            [(scene.duration_s, scene.voiceover_line) for scene in scenes],
            voice.duration_seconds if voice is not None else None,
        )
        spec = CompositionSpec(
            size=SIZES[aspect],
            scenes=[
                ComposeScene(
                    image=local(images[scene.pk]),
                    duration_s=duration,
                    caption=Caption(scene.voiceover_line[:500]) if scene.voiceover_line else None,
                    # The picture carries this headline: a caption repeating it is left out.
                    picture_text=scene.on_screen_text[:500],
                    motion=MOTIONS[index % len(MOTIONS)],
                )
                for index, (scene, duration) in enumerate(zip(scenes, durations, strict=True))
            ],
            end_card=EndCard(
                cta_text=ai_base.cta_label(campaign.call_to_action),
                background=(campaign.brand_colors or ["#111111"])[0],
                logo=local(campaign.logo) if campaign.logo and campaign.logo.storage_key else None,
            ),
            voice_over=voice_path,
            music=local(music_asset) if music_asset is not None else None,
        )
        output = stack.enter_context(media_services.workdir()) / "video.mp4"

        def on_progress(fraction: float) -> None:
            run.update(force=False, progress=int(low + span * min(1.0, fraction / 100)))

        compose_video(
            spec, output, on_progress=on_progress, timeout=settings.MEDIA_FFMPEG_TIMEOUT_SECONDS
        )
        asset = media_services.keep_generated_file(
            workspace=job.workspace,
            path=output,
            filename=f"{campaign.name[:60]} - v{script.number} {aspect.replace(':', 'x')}.mp4",
            created_by=job.created_by,
        )
    problems = [
        result.message
        for result in check_conformance(facts_for_asset(asset), PLACEMENT_FOR_ASPECT[aspect])
        if not (result.ok or result.advisory)
    ]
    if problems:
        raise GenerationError(
            _("The %(aspect)s video doesn't meet Meta's specs: %(why)s")
            % {"aspect": aspect, "why": "; ".join(problems)}
        )
    used = [a.pk for a in (*images.values(), storyboard.voiceover, music_asset, campaign.logo) if a]
    with run.owned():
        MediaAsset.objects.filter(pk__in=used).update(last_used_at=timezone.now())
        return Creative.objects.create(
            script=script, storyboard=storyboard, aspect=aspect, asset=asset, music=music_asset
        )


def scene_durations_for_voice(
    scenes: list[tuple[float, str]], voice_seconds: float | None
) -> list[float]:
    """Return scene durations that give each spoken line the time it takes to say it.

    The voice-over is one recording of every scene's line in order; its time is shared out
    by each line's length, so a scene (and its caption) lasts at least as long as its line
    is heard, plus a short breath. Scenes without a line keep their planned duration.
    """
    durations = [duration for duration, _line in scenes]
    characters = sum(len(line.strip()) for _duration, line in scenes)
    if not voice_seconds or not characters:
        return durations
    return [
        max(duration, voice_seconds * len(line.strip()) / characters + 0.3)
        if line.strip()
        else duration
        for duration, line in scenes
    ]


def _music(job: GenerationJob) -> MediaAsset | None:
    music_id = job.params.get("music_id")
    if not music_id:
        return None
    music = MediaAsset.objects.filter(
        pk=music_id, workspace=job.workspace, kind=MediaAsset.Kind.AUDIO
    ).first()
    if music is None:
        raise GenerationError(_("The music file was deleted; pick another one and try again."))
    return music


def _keep_bytes(run: _Run, data: bytes, filename: str) -> MediaAsset:
    with media_services.workdir() as work:
        path = work / filename
        path.write_bytes(data)
        return media_services.keep_generated_file(
            workspace=run.job.workspace, path=path, filename=filename, created_by=run.job.created_by
        )


def _job_script(run: _Run) -> Script:
    if run.job.script is None:
        raise GenerationError(_("The script this job was for was deleted."))
    return run.job.script


def _brief(run: _Run) -> ai_base.Brief:
    cohort = run.job.cohort
    if cohort is None:
        raise GenerationError(_("The audience this job was for was deleted."))
    return brief_for(run.job.campaign, cohort)


STEPS: dict[str, Callable[[_Run], str]] = {
    Kind.SCRIPTS: _write_scripts,
    Kind.SCRIPT: _rewrite_script,
    Kind.STORYBOARD: _storyboard_step,
    Kind.IMAGE: _image_step,
    Kind.VOICEOVER: _voiceover_step,
    Kind.VIDEO: _video_step,
}


def openai_configured() -> bool:
    return bool(settings.OPENAI_API_KEY)
