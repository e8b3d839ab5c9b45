"""Celery tasks of the video editor: render jobs (ids only) and their sweeper."""

from creatives.editor import jobs
from prosocial import jobs as runner
from prosocial.jobs import job_task


@job_task(name="creatives.editor.render", queue="media", soft_time_limit=1900, time_limit=2000)
def render_task(render_id: int) -> None:
    jobs.run_render(render_id=render_id)


@job_task(name="creatives.editor.sweep_renders", queue="media", frequent=True)
def sweep_renders_task() -> None:
    runner.sweep(jobs.RENDERS)
