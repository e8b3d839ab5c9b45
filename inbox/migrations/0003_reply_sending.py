"""Reply: the outbound message moves to ``sent_message`` (``message`` is the job runner's status
line, ``prosocial.jobs.Job``), the in-flight mark ``send_started_at``, and the ``unknown`` status
of a send whose answer was lost."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("inbox", "0002_replies_saved_replies_assist"),
    ]

    operations = [
        migrations.RenameField(model_name="reply", old_name="message", new_name="sent_message"),
        migrations.AddField(
            model_name="reply",
            name="message",
            field=models.CharField(blank=True, max_length=300),
        ),
        migrations.AddField(
            model_name="reply",
            name="send_started_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="reply",
            name="status",
            field=models.CharField(
                choices=[
                    ("approval", "Waiting for approval"),
                    ("declined", "Declined"),
                    ("queued", "Queued"),
                    ("sending", "Sending"),
                    ("sent", "Sent"),
                    ("failed", "Failed"),
                    ("unknown", "Not confirmed"),
                ],
                default="queued",
                max_length=16,
            ),
        ),
    ]
