# Data migration (#14 item 18): Facebook answers a video's or reel's permalink_url as a path
# ("/{page-id}/videos/{video-id}/", "/reel/{video-id}/"). Before the client made it absolute
# (publishing.publishers._facebook.permalink_of), such paths were stored as they came, so
# "See it on Facebook" opened a page on ProSocial's own host. This makes the stored ones
# absolute on facebook.com. Reversing it changes nothing (the absolute link is right either way).

from django.db import migrations

FACEBOOK_WEB = "https://www.facebook.com"


def absolute_permalink(link: str) -> str:
    """Return a stored relative permalink as an absolute facebook.com link (others unchanged)."""
    if link.startswith("/") and not link.startswith("//"):
        return FACEBOOK_WEB + link
    return link


def make_permalinks_absolute(apps, schema_editor):
    Publication = apps.get_model("publishing", "Publication")
    relative = Publication.objects.filter(permalink__startswith="/").exclude(
        permalink__startswith="//"
    )
    for pk, permalink, remote in relative.values_list("pk", "permalink", "remote").iterator():
        link = absolute_permalink(permalink)
        remote = dict(remote or {})
        if remote.get("permalink") == permalink:
            remote["permalink"] = link
        Publication.objects.filter(pk=pk).update(permalink=link, remote=remote)


class Migration(migrations.Migration):
    dependencies = [
        ("publishing", "0005_one_create_in_flight"),
    ]

    operations = [
        migrations.RunPython(make_permalinks_absolute, migrations.RunPython.noop),
    ]
