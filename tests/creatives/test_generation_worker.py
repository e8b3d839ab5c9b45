"""A generation job started by a view's service reaches a real Celery worker and finishes."""

import time

from campaigns.models import AudienceCohort, Campaign
from creatives.studio import generation
from creatives.studio.models import AICall, GenerationJob, Script


def test_worker_runs_a_scripts_job_enqueued_on_commit(editor, start_worker, settings):
    # No OpenAI key here or in the worker: "auto" is the offline provider in both.
    settings.OPENAI_API_KEY = ""
    worker = start_worker(OPENAI_API_KEY="")
    campaign = Campaign.objects.create(
        workspace=editor.workspace,
        name="Trail launch",
        product_name="Acme Trail Shoes",
        key_message="Grip that holds on wet rock.",
    )
    cohort = AudienceCohort.objects.create(
        campaign=campaign, name="Weekend hikers", countries=["DE"]
    )

    # transactional_db: the service's transaction commits, so its on_commit enqueue runs.
    job = generation.start_scripts(actor=editor, cohort=cohort, variants=2)

    deadline = time.monotonic() + 60
    while job.status in (GenerationJob.Status.QUEUED, GenerationJob.Status.RUNNING):
        assert time.monotonic() < deadline, worker.log.read_text()
        time.sleep(0.5)
        job.refresh_from_db()

    assert (job.status, job.progress, job.attempts) == ("succeeded", 100, 1), job.error
    assert list(Script.objects.filter(cohort=cohort).values_list("number", flat=True)) == [1, 2]
    assert list(AICall.objects.filter(job=job).values_list("provider", "operation")) == [
        ("offline", "write_scripts")
    ]
