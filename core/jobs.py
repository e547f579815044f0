"""State changes of background jobs (``core.models.BackgroundJob`` subclasses), shared by every room.

A request writes a PENDING row and enqueues its task on commit (``job_enqueue``); if Redis is down
the row stays PENDING and the periodic sweep enqueues it again later (``job_sweep``). The task
takes the job with ``job_lease`` (locks the row, counts the attempt, gives up after
``max_attempts``), reports progress with ``JobProgress`` (visible at once, even inside a
transaction), and ends it with ``job_finish`` or ``job_fail``. Every step is idempotent: a
redelivered task for a finished job does nothing.

``job_lease`` holds a PostgreSQL session advisory lock for the whole run, so
that two deliveries of the same job never run at the same time, and so that the sweep can tell a
RUNNING job whose worker is alive (lock held) from one whose worker died (PostgreSQL drops the lock
with the dead process's connection).
"""

import datetime
import logging
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import F
from django.utils import timezone

from core.enums import JobStatus
from core.models import BackgroundJob


logger = logging.getLogger(__name__)

GAVE_UP_MESSAGE = "La production a échoué après plusieurs tentatives. Merci de réessayer plus tard."


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


def _claim[J: BackgroundJob](model: type[J], job_id: int) -> J | None:
    """Lock the job and start one attempt; None when there is nothing to do.

    Nothing to do: the row is gone, already done or failed, or its attempts are used up (then it is
    marked failed with a message for the user). A RUNNING row is claimed again: its previous run
    died (use ``job_lease`` to be sure no other run is alive).
    """
    with transaction.atomic():
        job = model.objects.select_for_update(of=("self",)).filter(pk=job_id).first()
        if job is None or job.is_finished:
            return None
        if job.attempts >= job.max_attempts:
            _mark_failed(job, GAVE_UP_MESSAGE)
            return None
        job.attempts += 1
        job.status = JobStatus.RUNNING
        job.started_at = timezone.now()
        job.save(update_fields=["attempts", "status", "started_at", "updated_at"])
        return job


def _lease_key(model: type[BackgroundJob], job_id: int) -> tuple[int, int]:
    """The two 32-bit keys of the job's advisory lock: one per model, one per row."""
    label = zlib.crc32(model._meta.label_lower.encode()) - (1 << 31)
    return label, int(job_id) % (1 << 31)


@contextmanager
def job_lease[J: BackgroundJob](model: type[J], job_id: int) -> Iterator[J | None]:
    """Claim the job (``_claim``) while holding an exclusive lease on it for the whole block.

    Yields None when another run holds the lease (a duplicate delivery while the first one is
    still working) or when there is nothing to do. The lease is a session advisory lock: it is
    released at the end of the block, or by PostgreSQL when the process dies. Use it outside any
    transaction, in the worker.
    """
    key = _lease_key(model, job_id)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", key)
        acquired = cursor.fetchone()[0]
    if not acquired:
        logger.info("%s %s : une autre exécution est en cours, rien à faire", model._meta.label, job_id)
        yield None
        return
    try:
        yield _claim(model, job_id)
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", key)
        except Exception:  # the connection is gone, and the lock with it
            logger.warning("%s %s : verrou non rendu (connexion perdue)", model._meta.label, job_id)


def job_is_leased(model: type[BackgroundJob], job_id: int) -> bool:
    """Whether a live process holds the job's lease (``job_lease``) right now."""
    key = _lease_key(model, job_id)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", key)
        if not cursor.fetchone()[0]:
            return True
        cursor.execute("SELECT pg_advisory_unlock(%s, %s)", key)
    return False


def _write_progress(conn, job: BackgroundJob, percent: int, step: str) -> None:
    table = conn.ops.quote_name(type(job)._meta.db_table)
    with conn.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET progress = %s, step = %s, updated_at = NOW() "  # noqa: S608 - quoted name
            "WHERE id = %s AND status = %s",
            [percent, step[:200], job.pk, JobStatus.RUNNING],
        )


class JobProgress:
    """Reports a job's progress, ``reporter(percent, step)``, so that the page polling it sees it at once.

    Outside a transaction it writes on the worker's own connection. Inside one (an import holds one
    transaction per file) a write there would stay invisible until the commit, so it writes on a
    private autocommit connection instead. Writes at most about once a second for the same
    percentage; a failure to write is logged, never raised (progress is a courtesy).
    """

    def __init__(self, job: BackgroundJob, *, min_interval: float = 1.0):
        self.job = job
        self.min_interval = min_interval
        self.side = None
        self.last_time = 0.0
        self.last_percent = -1

    def __call__(self, percent: int, step: str) -> None:
        percent = max(0, min(100, int(percent)))
        now = time.monotonic()
        if percent == self.last_percent and now - self.last_time < self.min_interval:
            return
        self.last_time, self.last_percent = now, percent
        self.job.progress, self.job.step = percent, step
        try:
            if connection.in_atomic_block:
                if self.side is None:
                    self.side = connections.create_connection(DEFAULT_DB_ALIAS)
                _write_progress(self.side, self.job, percent, step)
            else:
                _write_progress(connection, self.job, percent, step)
        except Exception:
            logger.warning("%s %s : avancement non enregistré", self.job._meta.label, self.job.pk, exc_info=True)

    def close(self) -> None:
        if self.side is not None:
            self.side.close()
            self.side = None

    def __enter__(self) -> "JobProgress":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


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
    """Record a failed attempt: FAILED with ``message`` when ``final`` or attempts are used up, else PENDING.

    ``job`` is updated in place (status, error), so the caller can tell whether to retry.
    """
    with transaction.atomic():
        locked = type(job).objects.select_for_update(of=("self",)).get(pk=job.pk)
        if not locked.is_finished:
            if final or locked.attempts >= locked.max_attempts:
                _mark_failed(locked, message)
            else:
                locked.status = JobStatus.PENDING
                locked.error = message
                locked.save(update_fields=["status", "error", "updated_at"])
    job.status, job.error, job.attempts, job.finished_at = (
        locked.status,
        locked.error,
        locked.attempts,
        locked.finished_at,
    )


def job_sweep(
    model: type[BackgroundJob],
    send: Callable[[int], object],
    *,
    older_than: datetime.timedelta,
    running_older_than: datetime.timedelta | None = None,
) -> int:
    """Enqueue again the jobs left PENDING for longer than ``older_than`` (broker down, task lost).

    RUNNING jobs that have not moved for ``older_than`` and whose worker is gone (no lease held,
    see ``job_lease``) are failed when their attempts are used up. With ``running_older_than`` (for
    rooms whose tasks run under ``job_lease``), such jobs that still have attempts left are enqueued
    again once they have not moved for that long: the worker died, the broker would only redeliver
    after its visibility timeout. Returns how many jobs were sent.
    """
    now = timezone.now()
    sent = 0
    stale = model.objects.filter(status=JobStatus.PENDING, updated_at__lt=now - older_than)
    for job_id in list(stale.order_by("updated_at").values_list("pk", flat=True)[:500]):
        try:
            send(job_id)
        except Exception:
            logger.warning("Balayage : courtier injoignable, nouvelle tentative au prochain passage")
            return sent
        model.objects.filter(pk=job_id, status=JobStatus.PENDING).update(enqueued_at=now, updated_at=now)
        sent += 1
    limits = [older_than] + ([running_older_than] if running_older_than is not None else [])
    running = model.objects.filter(status=JobStatus.RUNNING, updated_at__lt=now - min(limits)).order_by("updated_at")
    for job in list(running[:500]):
        if job_is_leased(model, job.pk):
            continue
        if job.attempts >= job.max_attempts:
            if job.updated_at < now - older_than:
                job_fail(job, GAVE_UP_MESSAGE, final=True)
            continue
        if running_older_than is None or job.updated_at >= now - running_older_than:
            continue
        try:
            send(job.pk)
        except Exception:
            logger.warning("Balayage : courtier injoignable, nouvelle tentative au prochain passage")
            return sent
        model.objects.filter(pk=job.pk, status=JobStatus.RUNNING, attempts__lt=F("max_attempts")).update(
            enqueued_at=now, updated_at=now
        )
        sent += 1
    return sent
