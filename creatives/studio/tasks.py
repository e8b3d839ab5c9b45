"""Celery entry points for the AI studio."""

from prosocial.jobs import job_task


@job_task(name="creatives.run_generation_job", queue="media", soft_time_limit=1800, time_limit=1900)
def run_generation_job_task(job_id: int) -> None:
    from creatives.studio import generation

    generation.run_generation_job(job_id=job_id)


@job_task(name="creatives.sweep_generation_jobs", queue="media", frequent=True)
def sweep_generation_jobs_task() -> None:
    from creatives.studio import generation

    generation.sweep_generation_jobs()
