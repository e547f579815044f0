"""State changes of background jobs (``core.models.BackgroundJob`` subclasses), shared by every room.

A request writes a PENDING row and enqueues its task on commit (``job_enqueue``); if Redis is down
the row stays PENDING and the periodic sweep enqueues it again later (``job_sweep``). The task
claims the row (``job_claim``: locks it, counts the attempt, gives up after ``max_attempts``), reports
progress on its own short transactions (``job_progress``), and ends it with ``job_finish`` or
``job_fail``. Every step is idempotent: a redelivered task for a finished job does nothing.
"""

import datetime
import logging
from collections.abc import Callable

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from core.enums import JobStatus
from core.models import BackgroundJob


logger = logging.getLogger(__name__)


def job_enqueue(job: BackgroundJob, send: Callable[[int], object]) -> None:
    """Send the job's task once the current transaction commits; a broker failure leaves it PENDING.

    ``send`` is the task's ``delay`` (or ``apply_async``) taking the job id. The sweep retries later.
    """

    def _send() -> None:
        try:
            send(job.pk)
        except Exception:  # broker unreachable: the sweep will enqueue it again
            logger.warning("Tâche non mise en file pour %s %s (courtier injoignable)", job._meta.label, job.pk)
            return
        type(job).objects.filter(pk=job.pk, status=JobStatus.PENDING).update(enqueued_at=timezone.now())

    transaction.on_commit(_send)


def job_claim[J: BackgroundJob](model: type[J], job_id: int) -> J | None:
    """Lock the job and start one attempt; None when there is nothing to do.

    Nothing to do: the row is gone, already done or failed, or its attempts are used up (then it is
    marked failed with a message for the user).
    """
    with transaction.atomic():
        job = model.objects.select_for_update(of=("self",)).filter(pk=job_id).first()
        if job is None or job.is_finished:
            return None
        if job.attempts >= job.max_attempts:
            _mark_failed(job, "La production a échoué après plusieurs tentatives. Merci de réessayer plus tard.")
            return None
        job.attempts += 1
        job.status = JobStatus.RUNNING
        job.started_at = timezone.now()
        job.save(update_fields=["attempts", "status", "started_at", "updated_at"])
        return job


def job_progress(job: BackgroundJob, percent: int, step: str) -> None:
    """Record progress at once (its own transaction), so that the page polling it sees it."""
    percent = max(0, min(100, int(percent)))
    job.progress, job.step = percent, step
    with transaction.atomic():
        type(job).objects.filter(pk=job.pk, status=JobStatus.RUNNING).update(
            progress=percent, step=step[:200], updated_at=timezone.now()
        )


def job_finish(job: BackgroundJob, *, step: str = "Terminé", save_fields: tuple[str, ...] = ()) -> None:
    """Mark the job done. Call inside the transaction that stores its result, so both land together."""
    job.status = JobStatus.DONE
    job.progress = 100
    job.step = step
    job.error = ""
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "progress", "step", "error", "finished_at", "updated_at", *save_fields])


def _mark_failed(job: BackgroundJob, message: str) -> None:
    job.status = JobStatus.FAILED
    job.error = message
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "error", "finished_at", "updated_at"])


def job_fail(job: BackgroundJob, message: str, *, final: bool) -> None:
    """Record a failed attempt: FAILED with ``message`` when ``final`` or attempts are used up, else PENDING."""
    with transaction.atomic():
        job = type(job).objects.select_for_update(of=("self",)).get(pk=job.pk)
        if job.is_finished:
            return
        if final or job.attempts >= job.max_attempts:
            _mark_failed(job, message)
        else:
            job.status = JobStatus.PENDING
            job.error = message
            job.save(update_fields=["status", "error", "updated_at"])


def job_sweep(model: type[BackgroundJob], send: Callable[[int], object], *, older_than: datetime.timedelta) -> int:
    """Enqueue again the jobs left PENDING for longer than ``older_than`` (broker down, task lost).

    Also fails RUNNING jobs whose attempts are used up and that have not moved for that long (the
    worker died on its last attempt). Returns how many jobs were sent.
    """
    limit = timezone.now() - older_than
    sent = 0
    stale = model.objects.filter(status=JobStatus.PENDING, updated_at__lt=limit).values_list("pk", flat=True)
    for job_id in list(stale[:500]):
        try:
            send(job_id)
        except Exception:
            logger.warning("Balayage : courtier injoignable, nouvelle tentative au prochain passage")
            break
        model.objects.filter(pk=job_id, status=JobStatus.PENDING).update(
            enqueued_at=timezone.now(), updated_at=timezone.now()
        )
        sent += 1
    for job in model.objects.filter(status=JobStatus.RUNNING, updated_at__lt=limit, attempts__gte=F("max_attempts")):
        job_fail(job, "La production a échoué après plusieurs tentatives. Merci de réessayer plus tard.", final=True)
    return sent
