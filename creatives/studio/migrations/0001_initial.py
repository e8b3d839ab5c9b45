"""The AI studio adopts its tables, which the media library's migrations created.

State only: the tables (``creatives_*``) and their rows are untouched (see
``creatives/0004_move_studio_models``).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("accounts", "0002_workspace_requires_publish_approval"),
        ("campaigns", "0002_product_image"),
        ("creatives", "0004_move_studio_models"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="AISettings",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "provider",
                            models.CharField(
                                choices=[
                                    (
                                        "auto",
                                        "Automatic (OpenAI when the server has a key, else built-in)",
                                    ),
                                    ("offline", "Built-in (offline, free)"),
                                    ("openai", "OpenAI"),
                                ],
                                default="auto",
                                max_length=10,
                                verbose_name="provider",
                            ),
                        ),
                        (
                            "text_model",
                            models.CharField(blank=True, max_length=64, verbose_name="text model"),
                        ),
                        (
                            "image_model",
                            models.CharField(blank=True, max_length=64, verbose_name="image model"),
                        ),
                        (
                            "speech_model",
                            models.CharField(
                                blank=True, max_length=64, verbose_name="speech model"
                            ),
                        ),
                        (
                            "voice",
                            models.CharField(default="alloy", max_length=32, verbose_name="voice"),
                        ),
                        (
                            "monthly_cap_usd",
                            models.DecimalField(
                                blank=True,
                                decimal_places=2,
                                max_digits=9,
                                null=True,
                                verbose_name="monthly cap (USD)",
                            ),
                        ),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        (
                            "workspace",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="ai_settings",
                                to="accounts.workspace",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "creatives_aisettings",
                    },
                ),
                migrations.CreateModel(
                    name="Script",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("number", models.PositiveSmallIntegerField()),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        (
                            "campaign",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="scripts",
                                to="campaigns.campaign",
                            ),
                        ),
                        (
                            "cohort",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="scripts",
                                to="campaigns.audiencecohort",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "creatives_script",
                        "ordering": ["cohort_id", "number"],
                    },
                ),
                migrations.CreateModel(
                    name="ScriptVersion",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("number", models.PositiveSmallIntegerField()),
                        (
                            "origin",
                            models.CharField(
                                choices=[("ai", "AI"), ("human", "Edited")], max_length=8
                            ),
                        ),
                        ("provider", models.CharField(blank=True, max_length=20)),
                        ("model", models.CharField(blank=True, max_length=64)),
                        ("hook", models.TextField(max_length=500, verbose_name="hook")),
                        ("body", models.TextField(max_length=2000, verbose_name="body")),
                        ("cta", models.TextField(max_length=500, verbose_name="call to action")),
                        ("voiceover", models.TextField(max_length=4000, verbose_name="voice-over")),
                        (
                            "on_screen_text",
                            models.JSONField(default=list, verbose_name="on-screen text"),
                        ),
                        ("caption", models.TextField(max_length=2200, verbose_name="caption")),
                        ("hashtags", models.JSONField(default=list, verbose_name="hashtags")),
                        ("language", models.CharField(default="en", max_length=8)),
                        ("note", models.CharField(blank=True, max_length=300)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        (
                            "author",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "script",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="versions",
                                to="studio.script",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "creatives_scriptversion",
                        "ordering": ["-number"],
                    },
                ),
                migrations.AddField(
                    model_name="script",
                    name="current",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="studio.scriptversion",
                    ),
                ),
                migrations.CreateModel(
                    name="Storyboard",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "origin",
                            models.CharField(
                                choices=[("ai", "AI"), ("human", "Edited")],
                                default="ai",
                                max_length=8,
                            ),
                        ),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        (
                            "script",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="storyboards",
                                to="studio.script",
                            ),
                        ),
                        (
                            "script_version",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to="studio.scriptversion",
                            ),
                        ),
                        (
                            "voiceover",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to="creatives.mediaasset",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "creatives_storyboard",
                        "ordering": ["-created_at", "-id"],
                    },
                ),
                migrations.CreateModel(
                    name="Creative",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "aspect",
                            models.CharField(
                                choices=[
                                    ("9:16", "9:16 (Reels, Stories)"),
                                    ("1:1", "1:1 (feed)"),
                                    ("4:5", "4:5 (feed)"),
                                ],
                                max_length=5,
                            ),
                        ),
                        ("approved_at", models.DateTimeField(blank=True, null=True)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        (
                            "approved_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "asset",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="creatives",
                                to="creatives.mediaasset",
                            ),
                        ),
                        (
                            "music",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to="creatives.mediaasset",
                            ),
                        ),
                        (
                            "script",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="creatives",
                                to="studio.script",
                            ),
                        ),
                        (
                            "storyboard",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="creatives",
                                to="studio.storyboard",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "creatives_creative",
                        "ordering": ["-created_at", "-id"],
                    },
                ),
                migrations.CreateModel(
                    name="StoryboardScene",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("position", models.PositiveSmallIntegerField()),
                        ("duration_s", models.FloatField(verbose_name="seconds")),
                        ("visual", models.TextField(max_length=1000, verbose_name="what we see")),
                        (
                            "on_screen_text",
                            models.CharField(
                                blank=True, max_length=200, verbose_name="on-screen text"
                            ),
                        ),
                        (
                            "voiceover_line",
                            models.TextField(
                                blank=True, max_length=1000, verbose_name="voice-over line"
                            ),
                        ),
                        (
                            "storyboard",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="scenes",
                                to="studio.storyboard",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "creatives_storyboardscene",
                        "ordering": ["position", "id"],
                    },
                ),
                migrations.CreateModel(
                    name="SceneImage",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "aspect",
                            models.CharField(
                                choices=[
                                    ("9:16", "9:16 (Reels, Stories)"),
                                    ("1:1", "1:1 (feed)"),
                                    ("4:5", "4:5 (feed)"),
                                ],
                                max_length=5,
                            ),
                        ),
                        (
                            "asset",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="creatives.mediaasset",
                            ),
                        ),
                        (
                            "scene",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="images",
                                to="studio.storyboardscene",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "creatives_sceneimage",
                    },
                ),
                migrations.CreateModel(
                    name="GenerationJob",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("scripts", "Script variants"),
                                    ("script", "New version of a script"),
                                    ("storyboard", "Storyboard"),
                                    ("image", "Scene image"),
                                    ("voiceover", "Voice-over"),
                                    ("video", "Videos"),
                                ],
                                max_length=12,
                            ),
                        ),
                        ("params", models.JSONField(blank=True, default=dict)),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("queued", "Queued"),
                                    ("running", "Running"),
                                    ("succeeded", "Done"),
                                    ("failed", "Failed"),
                                ],
                                default="queued",
                                max_length=10,
                            ),
                        ),
                        ("progress", models.PositiveSmallIntegerField(default=0)),
                        ("message", models.CharField(blank=True, max_length=300)),
                        ("error", models.CharField(blank=True, max_length=1000)),
                        ("retryable", models.BooleanField(default=False)),
                        ("attempts", models.PositiveSmallIntegerField(default=0)),
                        ("lease_expires_at", models.DateTimeField(blank=True, null=True)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        ("finished_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "campaign",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="generation_jobs",
                                to="campaigns.campaign",
                            ),
                        ),
                        (
                            "cohort",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="campaigns.audiencecohort",
                            ),
                        ),
                        (
                            "created_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "workspace",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="generation_jobs",
                                to="accounts.workspace",
                            ),
                        ),
                        (
                            "script",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="jobs",
                                to="studio.script",
                            ),
                        ),
                        (
                            "scene",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="studio.storyboardscene",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "creatives_generationjob",
                        "ordering": ["-created_at", "-id"],
                    },
                ),
                migrations.CreateModel(
                    name="AICall",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("provider", models.CharField(max_length=20)),
                        ("model", models.CharField(max_length=64)),
                        ("operation", models.CharField(max_length=32)),
                        ("prompt", models.TextField(blank=True)),
                        ("unit", models.CharField(max_length=16)),
                        ("input_units", models.PositiveIntegerField(default=0)),
                        ("output_units", models.PositiveIntegerField(default=0)),
                        ("cost_micro_usd", models.PositiveBigIntegerField(default=0)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        (
                            "campaign",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to="campaigns.campaign",
                            ),
                        ),
                        (
                            "workspace",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="ai_calls",
                                to="accounts.workspace",
                            ),
                        ),
                        (
                            "job",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="calls",
                                to="studio.generationjob",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "creatives_aicall",
                        "ordering": ["-created_at", "-id"],
                        "indexes": [
                            models.Index(
                                fields=["workspace", "created_at"],
                                name="creatives_a_workspa_75ce0f_idx",
                            )
                        ],
                    },
                ),
                migrations.AddConstraint(
                    model_name="scriptversion",
                    constraint=models.UniqueConstraint(
                        fields=("script", "number"), name="script_version_unique"
                    ),
                ),
                migrations.AddConstraint(
                    model_name="script",
                    constraint=models.UniqueConstraint(
                        fields=("cohort", "number"), name="script_number_unique"
                    ),
                ),
                migrations.AddConstraint(
                    model_name="sceneimage",
                    constraint=models.UniqueConstraint(
                        fields=("scene", "aspect"), name="scene_image_unique"
                    ),
                ),
                migrations.AddIndex(
                    model_name="generationjob",
                    index=models.Index(
                        fields=["status", "lease_expires_at"], name="creatives_g_status_ae1a69_idx"
                    ),
                ),
            ],
            database_operations=[],
        ),
    ]
