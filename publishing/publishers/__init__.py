"""One publisher per target (ARCHITECTURE §5 "Publishing"); ``publisher_for`` picks it."""

from publishing.models import Target
from publishing.publishers.base import Publisher
from publishing.publishers.fb_post import FacebookPostPublisher
from publishing.publishers.fb_reel import FacebookReelPublisher
from publishing.publishers.ig_carousel import InstagramCarouselPublisher
from publishing.publishers.ig_feed import InstagramFeedPublisher
from publishing.publishers.ig_reel import InstagramReelPublisher
from publishing.publishers.ig_story import InstagramStoryPublisher
from publishing.publishers.meta_ad import MetaAdPublisher
from publishing.publishers.meta_ad_promote import MetaAdPromotePublisher

PUBLISHERS: dict[str, Publisher] = {
    publisher.target: publisher
    for publisher in (
        FacebookPostPublisher(),
        FacebookReelPublisher(),
        InstagramFeedPublisher(),
        InstagramCarouselPublisher(),
        InstagramReelPublisher(),
        InstagramStoryPublisher(),
        MetaAdPublisher(),
        MetaAdPromotePublisher(),
    )
}
assert set(PUBLISHERS) == set(Target), "every target needs a publisher"  # noqa: S101


def publisher_for(target: str) -> Publisher:
    return PUBLISHERS[target]
