# The lock table of publishing.locks: at most one create in flight per (Meta account, kind).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("publishing", "0004_ad_objective_sales_leads"),
    ]

    operations = [
        migrations.CreateModel(
            name="CreateSlot",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("account", models.CharField(max_length=120)),
                ("kind", models.CharField(max_length=40)),
                ("since", models.DateTimeField(blank=True, null=True)),
                (
                    "holder",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="publishing.publication",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("account", "kind"), name="one_create_in_flight")
                ],
            },
        ),
    ]
