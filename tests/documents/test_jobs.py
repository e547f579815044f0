"""core.jobs under documents: the lease that keeps two deliveries apart, and the sweep."""

import datetime
import threading

import pytest
from django.db import connections
from django.utils import timezone

from core.enums import JobStatus
from core.jobs import _lease_key, job_is_leased, job_lease
from documents import production
from documents.models import GenerationJob
from tests.documents.factories import GenerationJobFactory


pytestmark = pytest.mark.django_db

MINUTES = datetime.timedelta(minutes=1)


class OtherProcess:
    """Holds a job's lease from another database session (a live worker elsewhere)."""

    def __init__(self, job):
        self.key = _lease_key(GenerationJob, job.pk)
        self.locked, self.release = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._run)

    def _run(self):
        try:
            with connections["default"].cursor() as cursor:
                cursor.execute("SELECT pg_advisory_lock(%s, %s)", self.key)
                self.locked.set()
                self.release.wait(10)
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", self.key)
        finally:
            connections["default"].close()

    def __enter__(self):
        self.thread.start()
        assert self.locked.wait(10)
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.thread.join(10)


def aged(job, **fields):
    GenerationJob.objects.filter(pk=job.pk).update(updated_at=timezone.now() - 5 * MINUTES, **fields)


def test_a_second_delivery_does_nothing_while_the_first_holds_the_lease(make_groupement):
    job = GenerationJobFactory(groupement=make_groupement(members=1), status=JobStatus.PENDING, attempts=0)
    with OtherProcess(job):
        assert job_is_leased(GenerationJob, job.pk)
        with job_lease(GenerationJob, job.pk) as claimed:
            assert claimed is None
        assert production.job_run(job.pk) == production.Outcome.SKIPPED
    job.refresh_from_db()
    assert job.status == JobStatus.PENDING and job.attempts == 0
    assert not job_is_leased(GenerationJob, job.pk)
    with job_lease(GenerationJob, job.pk) as claimed:
        assert claimed.pk == job.pk and claimed.attempts == 1 and claimed.status == JobStatus.RUNNING
    assert not job_is_leased(GenerationJob, job.pk)


def test_sweep_sends_old_pending_jobs_and_running_jobs_whose_worker_died(make_groupement):
    groupement = make_groupement(members=1)
    fresh = GenerationJobFactory(groupement=groupement, status=JobStatus.PENDING, attempts=0)
    lost = GenerationJobFactory(groupement=groupement, status=JobStatus.PENDING, attempts=0)
    dead = GenerationJobFactory(groupement=groupement, status=JobStatus.RUNNING, attempts=1)
    alive = GenerationJobFactory(groupement=groupement, status=JobStatus.RUNNING, attempts=1)
    exhausted = GenerationJobFactory(groupement=groupement, status=JobStatus.RUNNING, attempts=3)
    done = GenerationJobFactory(groupement=groupement, status=JobStatus.DONE)
    for job in (lost, dead, alive, exhausted, done):
        aged(job)
    sent = []
    with OtherProcess(alive):
        count = production.jobs_sweep(send=sent.append, pending_after=2 * MINUTES, running_after=MINUTES)
    assert sorted(sent) == sorted([lost.pk, dead.pk]) and count == 2
    assert GenerationJob.objects.get(pk=fresh.pk).enqueued_at is None
    assert GenerationJob.objects.get(pk=lost.pk).enqueued_at is not None
    exhausted.refresh_from_db()
    assert exhausted.status == JobStatus.FAILED and "plusieurs tentatives" in exhausted.error
    assert GenerationJob.objects.get(pk=alive.pk).status == JobStatus.RUNNING


def test_sweep_stops_quietly_when_the_broker_is_down(make_groupement):
    job = GenerationJobFactory(groupement=make_groupement(members=1), status=JobStatus.PENDING, attempts=0)
    aged(job)

    def broken(job_id):
        raise ConnectionRefusedError("Redis arrêté")

    assert production.jobs_sweep(send=broken, pending_after=MINUTES) == 0
    job.refresh_from_db()
    assert job.status == JobStatus.PENDING and job.enqueued_at is None


def test_retry_delay_doubles_and_is_capped(settings):
    settings.DOCUMENTS_RETRY_DELAY, settings.DOCUMENTS_RETRY_DELAY_MAX = 30, 300
    assert [production.retry_delay(attempts) for attempts in (1, 2, 3, 6)] == [30, 60, 120, 300]
