"""The data migration that makes stored relative Facebook permalinks absolute (#14 item 18).

Rows stored before the client made ``permalink_url`` absolute hold a path on facebook.com; the
migration's function, run on real rows, turns exactly those into https://www.facebook.com links.
"""

import importlib

import pytest
from django.apps import apps

from publishing.models import Publication

pytestmark = pytest.mark.django_db

migration = importlib.import_module("publishing.migrations.0006_absolute_permalinks")


def _published(workspace, permalink, **fields):
    return Publication.objects.create(
        workspace=workspace,
        title="Stored before the fix",
        target="fb_reel",
        status=Publication.Status.PUBLISHED,
        permalink=permalink,
        remote={"permalink": permalink, "video_id": "1"},
        **fields,
    )


def test_relative_permalinks_become_absolute_and_others_stay(workspace):
    video = _published(workspace, "/104738291056473/videos/5001/")
    reel = _published(workspace, "/reel/5002/")
    post = _published(workspace, "https://www.facebook.com/104738291056473_5003")
    instagram = _published(workspace, "https://www.instagram.com/p/AD-Zls95JjY/")
    unpublished = _published(workspace, "")

    migration.make_permalinks_absolute(apps, None)

    links = dict(Publication.objects.values_list("pk", "permalink"))
    assert links == {
        video.pk: "https://www.facebook.com/104738291056473/videos/5001/",
        reel.pk: "https://www.facebook.com/reel/5002/",
        post.pk: "https://www.facebook.com/104738291056473_5003",
        instagram.pk: "https://www.instagram.com/p/AD-Zls95JjY/",
        unpublished.pk: "",
    }
    reel.refresh_from_db()
    assert reel.remote == {"permalink": "https://www.facebook.com/reel/5002/", "video_id": "1"}


def test_running_it_twice_changes_nothing_more(workspace):
    reel = _published(workspace, "/reel/5002/")

    migration.make_permalinks_absolute(apps, None)
    migration.make_permalinks_absolute(apps, None)

    reel.refresh_from_db()
    assert reel.permalink == "https://www.facebook.com/reel/5002/"


def test_a_protocol_relative_link_is_left_alone(workspace):
    odd = _published(workspace, "//evil.example.com/x")

    migration.make_permalinks_absolute(apps, None)

    odd.refresh_from_db()
    assert odd.permalink == "//evil.example.com/x"


def test_the_migration_reverses_as_a_no_op():
    operation = migration.Migration.operations[0]
    assert operation.reversible
    assert operation.reverse_code is operation.noop
