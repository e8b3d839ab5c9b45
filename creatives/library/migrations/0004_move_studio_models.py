"""The AI studio's models leave this app for ``studio`` (creatives.studio).

Only Django's idea of which app owns them changes: the tables (``creatives_script`` …) stay
where they are with every row, and ``studio``'s first migration adopts them. Content types
(and so permissions and admin history) move with the models.
"""

from django.db import migrations

STUDIO_MODELS = [
    "aicall",
    "aisettings",
    "creative",
    "generationjob",
    "sceneimage",
    "script",
    "scriptversion",
    "storyboard",
    "storyboardscene",
]


def _move_content_types(apps, schema_editor, *, source: str, target: str) -> None:
    content_type = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    content_type.objects.using(db).filter(app_label=source, model__in=STUDIO_MODELS).update(
        app_label=target
    )


def forwards(apps, schema_editor):
    _move_content_types(apps, schema_editor, source="creatives", target="studio")


def backwards(apps, schema_editor):
    _move_content_types(apps, schema_editor, source="studio", target="creatives")


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("creatives", "0003_ai_generation"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveIndex(
                    model_name="aicall",
                    name="creatives_a_workspa_75ce0f_idx",
                ),
                migrations.RemoveField(
                    model_name="aisettings",
                    name="workspace",
                ),
                migrations.RemoveField(
                    model_name="creative",
                    name="approved_by",
                ),
                migrations.RemoveField(
                    model_name="creative",
                    name="asset",
                ),
                migrations.RemoveField(
                    model_name="creative",
                    name="music",
                ),
                migrations.RemoveField(
                    model_name="creative",
                    name="script",
                ),
                migrations.RemoveField(
                    model_name="creative",
                    name="storyboard",
                ),
                migrations.RemoveIndex(
                    model_name="generationjob",
                    name="creatives_g_status_ae1a69_idx",
                ),
                migrations.RemoveConstraint(
                    model_name="sceneimage",
                    name="scene_image_unique",
                ),
                migrations.RemoveConstraint(
                    model_name="script",
                    name="script_number_unique",
                ),
                migrations.RemoveField(
                    model_name="storyboard",
                    name="script",
                ),
                migrations.RemoveConstraint(
                    model_name="scriptversion",
                    name="script_version_unique",
                ),
                migrations.RemoveField(
                    model_name="storyboard",
                    name="script_version",
                ),
                migrations.RemoveField(
                    model_name="storyboard",
                    name="voiceover",
                ),
                migrations.RemoveField(
                    model_name="storyboardscene",
                    name="storyboard",
                ),
                migrations.RemoveField(
                    model_name="aicall",
                    name="campaign",
                ),
                migrations.RemoveField(
                    model_name="aicall",
                    name="job",
                ),
                migrations.RemoveField(
                    model_name="aicall",
                    name="workspace",
                ),
                migrations.DeleteModel(
                    name="AISettings",
                ),
                migrations.DeleteModel(
                    name="Creative",
                ),
                migrations.RemoveField(
                    model_name="generationjob",
                    name="campaign",
                ),
                migrations.RemoveField(
                    model_name="generationjob",
                    name="cohort",
                ),
                migrations.RemoveField(
                    model_name="generationjob",
                    name="created_by",
                ),
                migrations.RemoveField(
                    model_name="generationjob",
                    name="scene",
                ),
                migrations.RemoveField(
                    model_name="generationjob",
                    name="script",
                ),
                migrations.RemoveField(
                    model_name="generationjob",
                    name="workspace",
                ),
                migrations.RemoveField(
                    model_name="sceneimage",
                    name="asset",
                ),
                migrations.RemoveField(
                    model_name="sceneimage",
                    name="scene",
                ),
                migrations.RemoveField(
                    model_name="script",
                    name="campaign",
                ),
                migrations.RemoveField(
                    model_name="script",
                    name="cohort",
                ),
                migrations.RemoveField(
                    model_name="script",
                    name="current",
                ),
                migrations.RemoveField(
                    model_name="scriptversion",
                    name="author",
                ),
                migrations.RemoveField(
                    model_name="scriptversion",
                    name="script",
                ),
                migrations.DeleteModel(
                    name="Storyboard",
                ),
                migrations.DeleteModel(
                    name="AICall",
                ),
                migrations.DeleteModel(
                    name="GenerationJob",
                ),
                migrations.DeleteModel(
                    name="SceneImage",
                ),
                migrations.DeleteModel(
                    name="StoryboardScene",
                ),
                migrations.DeleteModel(
                    name="Script",
                ),
                migrations.DeleteModel(
                    name="ScriptVersion",
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(forwards, backwards),
    ]
