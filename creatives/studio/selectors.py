"""Reads for AI generation pages: scoped lookups (404 across workspaces) and page data."""

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Prefetch, QuerySet
from django.http import Http404

from accounts.models import Membership
from campaigns.models import Campaign
from creatives.library.models import MediaAsset
from creatives.studio import generation
from creatives.studio.ai.base import Results
from creatives.studio.models import (
    AICall,
    Creative,
    GenerationJob,
    SceneImage,
    Script,
    ScriptVersion,
    Storyboard,
    StoryboardScene,
)
from prosocial.kept import Source

RECENT_JOBS = 8


def _found(obj: Any, what: str) -> Any:
    if obj is None:
        raise Http404(f"No such {what}")
    return obj


def get_script_for_member(membership: Membership, pk: int) -> Script:
    return _found(
        Script.objects.filter(campaign__workspace=membership.workspace, pk=pk)
        .select_related("campaign", "cohort", "current__author")
        .first(),
        "script",
    )


def get_version_for_member(membership: Membership, pk: int) -> ScriptVersion:
    return _found(
        ScriptVersion.objects.filter(script__campaign__workspace=membership.workspace, pk=pk)
        .select_related("script")
        .first(),
        "version",
    )


def get_scene_for_member(membership: Membership, pk: int) -> StoryboardScene:
    return _found(
        StoryboardScene.objects.filter(
            storyboard__script__campaign__workspace=membership.workspace, pk=pk
        )
        .select_related("storyboard__script__campaign", "storyboard__script__cohort")
        .first(),
        "scene",
    )


def get_storyboard_for_member(membership: Membership, pk: int) -> Storyboard:
    return _found(
        Storyboard.objects.filter(script__campaign__workspace=membership.workspace, pk=pk)
        .select_related("script__cohort", "script__campaign")
        .first(),
        "storyboard",
    )


def get_creative_for_member(membership: Membership, pk: int) -> Creative:
    return _found(
        Creative.objects.filter(script__campaign__workspace=membership.workspace, pk=pk)
        .select_related("script__current", "script__campaign", "asset")
        .first(),
        "creative",
    )


def get_job_for_member(membership: Membership, pk: int) -> GenerationJob:
    return _found(
        GenerationJob.objects.for_workspace(membership.workspace)
        .select_related("campaign", "script")
        .filter(pk=pk)
        .first(),
        "job",
    )


def list_music_for_member(membership: Membership) -> QuerySet[MediaAsset]:
    return MediaAsset.objects.for_workspace(membership.workspace).filter(
        kind=MediaAsset.Kind.AUDIO,
        status=MediaAsset.Status.READY,
        source=MediaAsset.Source.UPLOADED,
    )


@dataclass
class CohortScripts:
    cohort: Any
    scripts: list[Script]


_BY_SCRIPT = f"JOIN {Script._meta.db_table} s ON s.id = t.script_id"
# What ``campaign_studio`` shows (``prosocial.kept``): the campaign's scripts with their
# versions and videos, its jobs and what its AI calls cost.
CAMPAIGN_STUDIO_SOURCES = (
    Source(Script, "t.campaign_id", param="campaign"),
    Source(ScriptVersion, "s.campaign_id", param="campaign", join=_BY_SCRIPT),
    Source(Creative, "s.campaign_id", param="campaign", join=_BY_SCRIPT),
    Source(GenerationJob, "t.campaign_id", param="campaign"),
    Source(AICall, "t.campaign_id", param="campaign"),
)


def campaign_studio(campaign: Campaign) -> dict[str, Any]:
    """Scripts per cohort (with their current text and counts), recent jobs, cost so far."""
    scripts = (
        Script.objects.filter(campaign=campaign)
        .select_related("current")
        .annotate(version_count=Count("versions", distinct=True))
        .annotate(video_count=Count("creatives", distinct=True))
        .order_by("cohort_id", "number")
    )
    by_cohort: dict[int, list[Script]] = {}
    for script in scripts:
        script.modelled_on_summary = modelled_on_summary(script)  # type: ignore[attr-defined]
        by_cohort.setdefault(script.cohort_id, []).append(script)
    jobs = list(
        GenerationJob.objects.filter(campaign=campaign).select_related("script", "cohort")[
            :RECENT_JOBS
        ]
    )
    return {
        "cohort_scripts": [
            CohortScripts(cohort, by_cohort.get(cohort.pk, [])) for cohort in campaign.cohorts.all()
        ],
        "jobs": jobs,
        "jobs_open": any(job.is_open for job in jobs),
        "cost_so_far": generation.usd(generation.campaign_cost_micro_usd(campaign)),
        "variant_choices": range(1, generation.MAX_VARIANTS_PER_RUN + 1),
    }


def modelled_on_summary(script: Script) -> str:
    """Return the results a *Make more like this* variant followed, in one line ("" if none)."""
    if script.modelled_on_number is None:
        return ""
    return Results.from_data(script.modelled_on_results or {}).describe()


def script_studio(script: Script) -> dict[str, Any]:
    """Return a script's versions, its storyboard (scenes with their pictures), videos and jobs."""
    storyboard: Storyboard | None = (
        script.storyboards.select_related("voiceover")
        .prefetch_related(
            Prefetch(
                "scenes",
                queryset=StoryboardScene.objects.prefetch_related(
                    Prefetch("images", queryset=SceneImage.objects.select_related("asset"))
                ),
            )
        )
        .order_by("-created_at", "-id")
        .first()
    )
    scenes = list(storyboard.scenes.all()) if storyboard else []
    for scene in scenes:
        scene.by_aspect = {image.aspect: image.asset for image in scene.images.all()}  # type: ignore[attr-defined]
    jobs = list(script.jobs.select_related("scene")[:RECENT_JOBS])
    return {
        "versions": list(script.versions.select_related("author")),
        "storyboard": storyboard,
        "scenes": scenes,
        "storyboard_seconds": sum(scene.duration_s for scene in scenes),
        "creatives": list(
            script.creatives.select_related("asset", "music", "approved_by").order_by(
                "-created_at", "-id"
            )
        ),
        "jobs": jobs,
        "jobs_open": any(job.is_open for job in jobs),
        "modelled_on_summary": modelled_on_summary(script),
    }


def script_progress(script: Script) -> dict[str, Any]:
    """Return a script's recent jobs and whether one is still open (the page's 2 s poll)."""
    jobs = list(script.jobs.select_related("scene")[:RECENT_JOBS])
    return {"jobs": jobs, "jobs_open": any(job.is_open for job in jobs)}


def list_ai_calls(membership: Membership) -> QuerySet[AICall]:
    return AICall.objects.for_workspace(membership.workspace).select_related("campaign")


def creative_counts(campaign_ids: list[int]) -> dict[int, tuple[int, int]]:
    """Return ``{campaign id: (script variants, videos)}`` in two grouped queries."""
    scripts = dict(
        Script.objects.filter(campaign_id__in=campaign_ids)
        .values_list("campaign_id")
        .annotate(n=Count("pk"))
        .values_list("campaign_id", "n")
    )
    videos = dict(
        Creative.objects.filter(script__campaign_id__in=campaign_ids)
        .values_list("script__campaign_id")
        .annotate(n=Count("pk"))
        .values_list("script__campaign_id", "n")
    )
    return {pk: (scripts.get(pk, 0), videos.get(pk, 0)) for pk in campaign_ids}
