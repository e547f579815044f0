"""Celery tasks of documents: thin wrappers over ``documents.production`` (ids in, nothing out)."""

import gc

from celery import shared_task
from celery.signals import worker_init

from documents import production, renderers
from documents.models import GenerationJob


@worker_init.connect
def _preload_weasyprint(**kwargs) -> None:
    """Import WeasyPrint once in the worker's main process: its children inherit it when forked.

    Then freeze what is loaded so far out of the cyclic garbage collector (``gc.freeze``, as the
    Python docs advise before forking): the children's collections skip these long-lived objects
    (about 10 % less CPU for a long PDF) and do not touch their shared memory pages.
    """
    renderers.preload()
    gc.collect()
    gc.freeze()


@shared_task(bind=True, name="documents.job_run", acks_late=True, reject_on_worker_lost=True, max_retries=None)
def documents_job_run(self, job_id: int) -> str:
    """Produce the document of one GenerationJob; retry later while the job row allows it."""
    outcome = production.job_run(job_id)
    if outcome == production.Outcome.RETRY:
        attempts = GenerationJob.objects.values_list("attempts", flat=True).get(pk=job_id)
        raise self.retry(countdown=production.retry_delay(attempts))
    return str(outcome)


@shared_task(name="documents.jobs_sweep", acks_late=False)
def documents_jobs_sweep() -> int:
    """Send again the generation jobs lost by the broker or by a dead worker (beat, every minute)."""
    return production.jobs_sweep(send=documents_job_run.delay)
