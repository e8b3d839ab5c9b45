"""What the apps built on campaigns add to its pages, without campaigns importing them.

Campaigns sit below the media library and the AI studio (the studio imports campaigns, never
the other way round). The studio declares from its AppConfig.ready() what a campaign's page
shows of it (``register_detail_context``) and how many script variants and videos each
campaign in the list has (``register_creative_counts``), and what deleting a brief or an
audience takes with it (``register_deletion_summary``).
"""

from collections.abc import Callable
from typing import Any

from campaigns.models import AudienceCohort, Campaign
from prosocial.kept import Source

DetailContext = Callable[[Campaign], dict[str, Any]]
CreativeCounts = Callable[[list[int]], dict[int, tuple[int, int]]]
# (campaign, cohort) -> (what else goes with it, reasons to refuse now); one of them is None.
DeletionSummary = Callable[[Campaign | None, AudienceCohort | None], tuple[list[str], list[str]]]

_DETAIL_CONTEXTS: dict[str, DetailContext] = {}
_DETAIL_SOURCES: dict[str, tuple[Source, ...]] = {}
_CREATIVE_COUNTS: dict[str, CreativeCounts] = {}
_DELETION_SUMMARIES: dict[str, DeletionSummary] = {}


def register_detail_context(
    name: str, provider: DetailContext, *, sources: tuple[Source, ...]
) -> None:
    """Declare template context that ``name`` adds to a campaign's page.

    ``sources`` are every row it shows (``prosocial.kept``; ``param="campaign"`` for the
    campaign's id): the page's body is kept until one of them changes.
    """
    _DETAIL_CONTEXTS[name] = provider
    _DETAIL_SOURCES[name] = sources


def detail_sources() -> tuple[Source, ...]:
    return tuple(source for sources in _DETAIL_SOURCES.values() for source in sources)


def register_creative_counts(name: str, provider: CreativeCounts) -> None:
    """Declare how ``name`` counts ``(script variants, videos)`` per campaign id."""
    _CREATIVE_COUNTS[name] = provider


def detail_context(campaign: Campaign) -> dict[str, Any]:
    context: dict[str, Any] = {}
    for provider in _DETAIL_CONTEXTS.values():
        context.update(provider(campaign))
    return context


def creative_counts(campaign_ids: list[int]) -> dict[int, tuple[int, int]]:
    """Return ``{campaign id: (script variants, videos)}`` summed over every provider."""
    totals = dict.fromkeys(campaign_ids, (0, 0))
    for provider in _CREATIVE_COUNTS.values():
        for pk, (scripts, videos) in provider(campaign_ids).items():
            before = totals.get(pk, (0, 0))
            totals[pk] = (before[0] + scripts, before[1] + videos)
    return totals


def register_deletion_summary(name: str, provider: DeletionSummary) -> None:
    """Declare what ``name`` loses when a brief or audience is deleted, and what refuses it."""
    _DELETION_SUMMARIES[name] = provider


def deletion_summary(
    *, campaign: Campaign | None = None, cohort: AudienceCohort | None = None
) -> tuple[list[str], list[str]]:
    """Return ``(consequences, blockers)`` of deleting ``campaign`` or ``cohort``, every app's."""
    consequences: list[str] = []
    blockers: list[str] = []
    for provider in _DELETION_SUMMARIES.values():
        goes, refusals = provider(campaign, cohort)
        consequences.extend(goes)
        blockers.extend(refusals)
    return consequences, blockers
