"""The caption's limits (issue #13, bug 13): never cut silently, counted live, one clear error.

The browser must not truncate a pasted message (no ``maxlength``), the editor carries each
target's limits from ``publishing.targets`` for ``publishing.js`` to count against, and a message
over the limit gets exactly one error: its length.
"""

import json
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from meta_integration.models import InstagramAccount, MetaAdAccount, MetaPage
from publishing.forms import PublicationForm
from publishing.models import Publication
from publishing.targets import MESSAGE_MAX, TARGETS
from tests.conftest import client_for
from tests.meta_integration.helpers import connect
from tests.publishing.conftest import accounts

pytestmark = pytest.mark.django_db

NEW = reverse("publishing:new", args=["acme"])


@pytest.fixture
def meta(owner, sandbox):
    connect(client_for(owner), sandbox)
    for model in (MetaPage, InstagramAccount, MetaAdAccount):
        model.objects.filter(workspace=owner.workspace).update(is_selected=True)
    return accounts(owner.workspace)


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def _tag(response, **wanted):
    """The attributes of the one tag whose attributes include ``wanted``."""
    parser = _Tags()
    parser.feed(response.content.decode())
    (found,) = [a for _t, a in parser.tags if wanted.items() <= a.items()]
    return found


def _caption_input(response):
    return _tag(response, name="caption")


def test_the_caption_input_does_not_truncate_what_is_pasted(owner):
    textarea = _caption_input(client_for(owner).get(NEW))

    assert textarea.get("maxlength") is None


def test_the_caption_input_carries_every_targets_limits(owner):
    textarea = _caption_input(client_for(owner).get(NEW))

    limits = json.loads(textarea.get("data-limits"))
    assert limits == {
        key: {
            "chars": spec.caption_max if spec.takes_caption else 0,
            "hashtags": spec.hashtags_max,
            "mentions": spec.mentions_max,
        }
        for key, spec in TARGETS.items()
    }
    assert limits["ig_reel"] == {"chars": 2200, "hashtags": 30, "mentions": 20}
    assert limits["fb_post"] == {"chars": MESSAGE_MAX, "hashtags": None, "mentions": None}
    # publishing.js writes the live count here; screen readers hear it as it changes.
    counter = _tag(client_for(owner).get(NEW), **{"data-testid": "caption-counter"})
    assert counter.get("aria-live") == "polite"
    assert counter["id"] in textarea["aria-describedby"].split()


@pytest.mark.parametrize("length", [5001, 8000])
def test_a_facebook_message_over_the_limit_gets_only_the_length_error(owner, meta, length):
    response = client_for(owner).post(
        NEW,
        {
            "title": "Long post",
            "target": "fb_post",
            "page": meta["page"].pk,
            "caption": "x" * length,
        },
    )

    assert response.status_code == 422
    assert response.context["form"].errors == {
        "caption": [
            f"The message is {length:,} characters; a Facebook post takes at most 5,000. "
            "Shorten it by {:,}.".format(length - MESSAGE_MAX)
        ]
    }
    assert Publication.objects.count() == 0


def test_an_instagram_caption_over_its_limit_is_refused_in_the_editor(owner, meta):
    form = PublicationForm(
        {
            "title": "Long reel",
            "target": "ig_feed",
            "instagram_account": meta["instagram_account"].pk,
            "caption": "x" * 2201,
        },
        membership=owner,
    )

    assert not form.is_valid()
    assert form.errors["caption"] == [
        "The message is 2,201 characters; an Instagram feed post takes at most 2,200. "
        "Shorten it by 1."
    ]
