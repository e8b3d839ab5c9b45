"""Celery entry points for the media library."""

from creatives.library import services
from prosocial.jobs import job_task


@job_task(name="creatives.transcode_media", queue="media", soft_time_limit=1900, time_limit=2000)
def transcode_media_task(asset_id: int) -> None:
    services.transcode_media(asset_id=asset_id)


@job_task(name="creatives.requeue_stalled_transcodes", queue="media", frequent=True)
def requeue_stalled_transcodes_task() -> None:
    services.requeue_stalled_transcodes()


@job_task(name="creatives.remove_abandoned_direct_uploads", queue="media")
def remove_abandoned_direct_uploads_task() -> None:
    services.remove_abandoned_direct_uploads()


@job_task(
    name="creatives.check_media_decodes", queue="media", soft_time_limit=1900, time_limit=2000
)
def check_media_decodes_task(asset_id: int) -> None:
    services.check_media_decodes(asset_id=asset_id)
