"""Celery tasks of the video editor: render and transcription jobs (ids only), their sweeper."""

from creatives.editor import jobs, transcribe
from prosocial import jobs as runner
from prosocial.jobs import job_task


@job_task(name="creatives.editor.render", queue="media", soft_time_limit=1900, time_limit=2000)
def render_task(render_id: int) -> None:
    jobs.run_render(render_id=render_id)


@job_task(name="creatives.editor.transcribe", queue="media", soft_time_limit=1900, time_limit=2000)
def transcribe_task(transcription_id: int) -> None:
    transcribe.run_transcription(transcription_id=transcription_id)


@job_task(name="creatives.editor.sweep_renders", queue="media", frequent=True)
def sweep_renders_task() -> None:
    runner.sweep(jobs.RENDERS)
    runner.sweep(transcribe.TRANSCRIPTIONS)  # captions from speech: same worker, same beat
