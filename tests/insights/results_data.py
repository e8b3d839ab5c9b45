"""Results to read: a campaign's audiences, variants, posts and ads, with known numbers.

``seed_campaign`` makes a campaign with ``cohorts`` audiences of ``variants`` script variants
each; every variant has an approved video (a ``Creative``) carried by ``posts`` Facebook posts
and ``ads`` Meta ads. Each post gets lifetime totals read once a day and each ad daily values
(as collection stores them), scaled by the variant's ``strength`` so comparisons have a known
answer. The numbers are plain arithmetic of the day and the strength, written with bulk
inserts, so tests can compute what the pages must show and the bench can make a year of data.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.models import Workspace
from campaigns.models import AudienceCohort, Campaign
from creatives.library.models import MediaAsset
from creatives.studio.models import Creative, Script, ScriptVersion
from insights.models import Availability, InsightObject, InsightSnapshot, ObjectKind
from publishing.models import Publication, PublicationAsset, Target

LIFETIME = InsightSnapshot.MetricSet.LIFETIME
DAILY = InsightSnapshot.MetricSet.DAILY
PAGE_ID = "104"
ACT = "act_9001"


@dataclass
class Seeded:
    campaign: Campaign
    cohorts: list[AudienceCohort] = field(default_factory=list)
    scripts: list[Script] = field(default_factory=list)
    posts: list[Publication] = field(default_factory=list)
    ads: list[Publication] = field(default_factory=list)


def post_totals(day_number: int, strength: int) -> dict[str, int]:
    """A post's lifetime totals on its ``day_number``-th day (1 = published that day)."""
    views = 1000 * day_number * strength
    reach = 600 * day_number * strength
    return {
        "views": views,
        "reach": reach,
        "engagement": 30 * day_number * strength * strength,
        "likes": 20 * day_number * strength,
        "comments": 5 * day_number,
        "shares": 2 * day_number,
        "clicks": 12 * day_number * strength * strength,
    }


def ad_day(strength: int) -> dict[str, object]:
    """An ad's values for one day: the same spend for every ad, results by strength."""
    impressions = 2000
    clicks = 20 * strength * strength
    return {
        "impressions": impressions,
        "reach": 1500,
        "clicks": clicks,
        "link_clicks": 15 * strength * strength,
        "engagement": 40 * strength,
        "spend": Decimal("10.0000"),
        "ctr": Decimal(clicks * 100) / impressions,
        "cpc": Decimal("10") / clicks,
    }


def _video(workspace: Workspace, name: str) -> MediaAsset:
    return MediaAsset.objects.create(
        workspace=workspace,
        kind=MediaAsset.Kind.VIDEO,
        source=MediaAsset.Source.GENERATED,
        status=MediaAsset.Status.READY,
        original_filename=f"{name}.mp4",
        content_type="video/mp4",
        width=1080,
        height=1920,
        duration_seconds=12.0,
    )


def seed_campaign(
    workspace: Workspace,
    *,
    start: date,
    days: int,
    cohorts: int = 2,
    variants: int = 2,
    posts: int = 1,
    ads: int = 1,
    strengths: dict[tuple[int, int], int] | None = None,
    currency: str = "EUR",
    name: str = "Autumn launch",
) -> Seeded:
    """Make the campaign and its results over ``days`` days from ``start`` (module docstring).

    ``strengths`` maps (cohort index, variant number) to a factor (default 1); posts and ads
    are published on ``start``.
    """
    strengths = strengths or {}
    campaign = Campaign.objects.create(
        workspace=workspace,
        name=name,
        product_name="Trail shoes",
        key_message="Grip that holds on wet rock.",
        product_url="https://shop.example.com/trail",
        call_to_action="SHOP_NOW",
    )
    seeded = Seeded(campaign=campaign)
    published_at = datetime.combine(start, time(9), tzinfo=UTC)
    objects: list[tuple[InsightObject, int]] = []
    counter = 0
    for c in range(cohorts):
        cohort = AudienceCohort.objects.create(campaign=campaign, name=f"Audience {c + 1}")
        seeded.cohorts.append(cohort)
        for number in range(1, variants + 1):
            strength = strengths.get((c, number), 1)
            script = Script.objects.create(campaign=campaign, cohort=cohort, number=number)
            version = ScriptVersion.objects.create(
                script=script,
                number=1,
                origin=ScriptVersion.Origin.AI,
                hook=f"Hook {c}-{number}",
                body="Body.",
                cta="Shop now.",
                voiceover="Voice.",
                caption="Caption.",
            )
            Script.objects.filter(pk=script.pk).update(current=version)
            script.current = version
            seeded.scripts.append(script)
            video = _video(workspace, f"variant-{c}-{number}")
            Creative.objects.create(
                script=script, aspect="9:16", asset=video, approved_at=timezone.now()
            )
            for kind, count in ((Target.FB_POST, posts), (Target.META_AD, ads)):
                for n in range(count):
                    counter += 1
                    is_ad = kind == Target.META_AD
                    publication = Publication.objects.create(
                        workspace=workspace,
                        title=f"{'Ad' if is_ad else 'Post'} {c + 1}.{number}.{n + 1}",
                        target=kind,
                        status=Publication.Status.PUBLISHED,
                        remote_id=f"ad{workspace.pk}x{counter}"
                        if is_ad
                        else f"{PAGE_ID}_{workspace.pk}x{counter}",
                        remote={} if is_ad else {"post_id": f"{PAGE_ID}_{workspace.pk}x{counter}"},
                        published_at=published_at,
                        page_meta_id="" if is_ad else PAGE_ID,
                        ad_account_meta_id=ACT if is_ad else "",
                    )
                    PublicationAsset.objects.create(publication=publication, asset=video)
                    (seeded.ads if is_ad else seeded.posts).append(publication)
                    obj = InsightObject.objects.create(
                        workspace=workspace,
                        kind=ObjectKind.AD if is_ad else ObjectKind.FB_POST,
                        meta_id=publication.remote_id,
                        account_meta_id=ACT if is_ad else PAGE_ID,
                        publication=publication,
                        currency=currency if is_ad else "",
                        published_at=published_at,
                    )
                    objects.append((obj, strength))
                    if is_ad:  # its campaign is measured too, and must not be counted twice
                        parent = InsightObject.objects.create(
                            workspace=workspace,
                            kind=ObjectKind.CAMPAIGN,
                            meta_id=f"c{publication.remote_id}",
                            account_meta_id=ACT,
                            publication=publication,
                            currency=currency,
                            published_at=published_at,
                        )
                        objects.append((parent, strength))
    write_snapshots(workspace, objects, start=start, days=days, currency=currency)
    return seeded


def write_snapshots(
    workspace: Workspace,
    objects: list[tuple[InsightObject, int]],
    *,
    start: date,
    days: int,
    currency: str,
) -> None:
    now = timezone.now()
    rows = []
    for obj, strength in objects:
        for offset in range(days):
            day = start + timedelta(days=offset)
            is_post = obj.kind in (ObjectKind.FB_POST, ObjectKind.IG_MEDIA)
            values = post_totals(offset + 1, strength) if is_post else ad_day(strength)
            rows.append(
                InsightSnapshot(
                    workspace=workspace,
                    source=obj,
                    metric_set=LIFETIME if is_post else DAILY,
                    day=day,
                    date_start=None if is_post else day,
                    date_stop=None if is_post else day,
                    fetched_at=now,
                    availability=Availability.OK,
                    currency="" if is_post else currency,
                    **values,
                )
            )
    InsightSnapshot.objects.bulk_create(rows, batch_size=2000)
