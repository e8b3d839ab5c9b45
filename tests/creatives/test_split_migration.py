"""The studio's models left the media library's app without losing or copying a row.

Migrates a real PostgreSQL database back to before the split, writes studio rows through the
historical models, migrates forward and reads the same rows through ``creatives.studio``.
"""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from campaigns.models import AudienceCohort, Campaign
from creatives.studio.models import Creative, Script, ScriptVersion
from tests.factories import MembershipFactory

BEFORE_SPLIT = [("creatives", "0003_ai_generation"), ("studio", None)]

pytestmark = pytest.mark.django_db(transaction=True)


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state([t for t in targets if t[1] is not None]).apps


def _latest():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


def test_studio_rows_survive_the_move_to_their_own_app():
    member = MembershipFactory()
    campaign = Campaign.objects.create(
        workspace=member.workspace, name="Spring", product_name="Boots", key_message="Dry feet."
    )
    cohort = AudienceCohort.objects.create(campaign=campaign, name="Hikers", countries=["DE"])
    try:
        old = _migrate(BEFORE_SPLIT)
        old_ct = old.get_model("contenttypes", "ContentType")
        script_type = old_ct.objects.get_or_create(app_label="creatives", model="script")[0]
        old_script = old.get_model("creatives", "Script").objects.create(
            campaign_id=campaign.pk, cohort_id=cohort.pk, number=1
        )
        old_version = old.get_model("creatives", "ScriptVersion").objects.create(
            script=old_script, number=1, hook="Wet socks?", body="Not any more.", cta="Shop"
        )
        old_script.current = old_version
        old_script.save(update_fields=["current"])
        old_asset = old.get_model("creatives", "MediaAsset").objects.create(
            workspace_id=member.workspace_id, kind="video", original_filename="spring.mp4"
        )
        old.get_model("creatives", "Creative").objects.create(
            script=old_script, aspect="9:16", asset=old_asset
        )
    finally:
        _migrate(_latest())

    script = Script.objects.select_related("current").get(pk=old_script.pk)
    assert script.current.hook == "Wet socks?"
    assert list(ScriptVersion.objects.filter(script=script).values_list("pk", flat=True)) == [
        old_version.pk
    ]
    assert Creative.objects.get(script=script).asset.original_filename == "spring.mp4"
    # Nothing was copied: the rows are still in the tables the library's migrations made.
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM creatives_script")
        assert cursor.fetchone() == (1,)
    # Permissions and admin history follow the model: the content type changed app, same id.
    moved = ContentType.objects.get(pk=script_type.pk)
    assert (moved.app_label, moved.model) == ("studio", "script")
    assert ContentType.objects.get_for_model(Script).pk == script_type.pk
