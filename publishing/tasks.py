"""Celery entry points for publishing (thin wrappers around one service call each)."""

from prosocial.jobs import job_task
from publishing import services


@job_task(name="publishing.advance_publication", queue="publish")
def advance_publication_task(publication_id: int) -> None:
    services.advance_publication(publication_id=publication_id, chain=True)


@job_task(name="publishing.run_preflight", queue="publish")
def run_preflight_task(publication_id: int) -> None:
    services.run_full_preflight(publication_id=publication_id)


@job_task(name="publishing.sweep_publications", queue="publish", frequent=True)
def sweep_publications_task() -> None:
    services.sweep_publications()


@job_task(name="publishing.refresh_ad_reviews", queue="publish")
def refresh_ad_reviews_task() -> None:
    services.refresh_ad_reviews()
