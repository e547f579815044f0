"""Faults of quality.md §3.3 with a real worker and Redis: no lost job, no duplicate document.

Each test is bounded in time (``wait_for`` deadlines) and kills its worker and Redis at the end.
"""

import datetime
import html
import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import transaction
from django.urls import reverse

from accounts.enums import Role
from core.enums import JobStatus
from core.jobs import job_is_leased
from documents import production, services, tasks
from documents.models import Document, GenerationJob
from tests.chaos.conftest import wait_for
from tests.members.factories import (
    EstablishmentFactory,
    GroupementFactory,
    LegalEntityFactory,
    MembershipFactory,
    MembershipTermsFactory,
)


# Real commits (the worker must see the rows). serialized_rollback, as the other transactional tests
# that run after these (tests/members) expect: the database is restored at setup, and the flush after
# the test leaves it empty rather than reloaded with new content-type ids.
pytestmark = [pytest.mark.chaos, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

NOW = datetime.timedelta(0)


def make_groupement(members: int = 3):
    groupement = GroupementFactory()
    for index in range(members):
        entity = LegalEntityFactory(name=f"EHPAD CHAOS {index}")
        EstablishmentFactory(legal_entity=entity)
        membership = MembershipFactory(groupement=groupement, legal_entity=entity)
        MembershipTermsFactory(membership=membership, contribution_share=Decimal(100) / members)
    return groupement


def request(kind: str, groupement) -> GenerationJob:
    """Ask for a document in a real transaction: its task is sent to Redis on commit."""
    with transaction.atomic():
        return services.document_request(kind=kind, groupement=groupement, actor=None)


def job(pk: int) -> GenerationJob:
    return GenerationJob.objects.get(pk=pk)


def files(media: Path) -> list[Path]:
    return sorted(path for path in media.rglob("*") if path.is_file())


def assert_one_document(job_id: int, media: Path) -> Document:
    document = Document.objects.get(job_id=job_id)
    assert Document.objects.count() == 1
    assert files(media) == [media / document.file.name]
    assert (media / document.file.name).read_bytes().startswith(b"%PDF")
    return document


def test_redis_down_when_the_user_asks(client, chaos_workers, chaos_broker, chaos_media, user_with_role):
    """T1: the request answers within 3 s and the job stays PENDING; Redis back, the sweep finishes it."""
    groupement = make_groupement()
    client.force_login(user_with_role(Role.GROUPEMENT_DIRECTOR, groupement))
    worker = chaos_workers(sleep=0)
    chaos_broker.stop()

    started = time.monotonic()
    response = client.post(
        reverse("documents:document_request", kwargs={"slug": groupement.slug}), {"demande-kind": "chaos_slow"}
    )
    elapsed = time.monotonic() - started
    assert response.status_code == 302 and elapsed < 3, f"{response.status_code} in {elapsed:.1f} s"
    pending = GenerationJob.objects.get()
    assert pending.status == JobStatus.PENDING and pending.enqueued_at is None
    started = time.monotonic()
    page = client.get(response["Location"])
    assert page.status_code == 200 and time.monotonic() - started < 3
    assert "En attente de traitement" in page.content.decode()

    chaos_broker.start()
    assert production.jobs_sweep(send=tasks.documents_job_run.delay, pending_after=NOW) == 1
    wait_for(lambda: job(pending.pk).status == JobStatus.DONE, timeout=90, what="the job", on_timeout=worker.log)
    assert job(pending.pk).attempts == 1
    assert_one_document(pending.pk, chaos_media)


def test_worker_child_killed_during_rendering(chaos_workers, chaos_media):
    """T2: SIGKILL of the pool child mid-job: the message is redelivered, one document, attempts 2."""
    groupement = make_groupement()
    worker = chaos_workers(sleep=4)
    pending = request("chaos_slow", groupement)
    wait_for(
        lambda: job(pending.pk).step == "Attente (test)", timeout=30, what="the job to start", on_timeout=worker.log
    )
    worker.kill_child()
    wait_for(lambda: job(pending.pk).status == JobStatus.DONE, timeout=90, what="the job", on_timeout=worker.log)
    assert job(pending.pk).attempts == 2
    assert_one_document(pending.pk, chaos_media)


def test_whole_worker_killed_and_restarted(chaos_workers, chaos_media):
    """T3: SIGKILL of the whole worker mid-job; a new worker and the sweep finish it (no 15-min wait)."""
    groupement = make_groupement()
    first = chaos_workers(sleep=4)
    pending = request("chaos_slow", groupement)
    wait_for(
        lambda: job(pending.pk).step == "Attente (test)", timeout=30, what="the job to start", on_timeout=first.log
    )
    first.kill()
    assert job(pending.pk).status == JobStatus.RUNNING
    wait_for(lambda: not job_is_leased(GenerationJob, pending.pk), timeout=10, what="PostgreSQL to drop the lease")
    second = chaos_workers(sleep=1)
    assert production.jobs_sweep(send=tasks.documents_job_run.delay, pending_after=NOW, running_after=NOW) == 1
    wait_for(lambda: job(pending.pk).status == JobStatus.DONE, timeout=90, what="the job", on_timeout=second.log)
    assert job(pending.pk).attempts == 2
    assert_one_document(pending.pk, chaos_media)


def test_a_job_that_always_fails_stops_after_three_attempts(client, chaos_workers, chaos_media, user_with_role):
    """T6 (poison task): three attempts, then FAILED with a message the job page shows; no loop."""
    groupement = make_groupement(members=1)
    worker = chaos_workers()
    pending = request("chaos_fail", groupement)
    wait_for(lambda: job(pending.pk).status == JobStatus.FAILED, timeout=60, what="the job", on_timeout=worker.log)
    failed = job(pending.pk)
    assert failed.attempts == 3 and "après 3 tentatives" in failed.error
    client.force_login(user_with_role(Role.GROUPEMENT_STAFF, groupement))
    page = client.get(reverse("documents:job_detail", kwargs={"slug": groupement.slug, "pk": failed.pk}))
    assert f"Échec : {failed.error}" in html.unescape(page.content.decode())
    time.sleep(3)  # longer than the retry delays: nothing runs again
    assert job(pending.pk).attempts == 3 and Document.objects.count() == 0 and files(chaos_media) == []


def test_the_same_task_delivered_twice(chaos_workers, chaos_broker, chaos_media):
    """T5: two deliveries of one job, run at the same time by two pool children: one document."""
    groupement = make_groupement()
    worker = chaos_workers(concurrency=2, sleep=2)
    pending = request("chaos_slow", groupement)
    tasks.documents_job_run.delay(pending.pk)
    wait_for(lambda: job(pending.pk).status == JobStatus.DONE, timeout=60, what="the job", on_timeout=worker.log)
    wait_for(chaos_broker.queue_is_drained, timeout=30, what="both deliveries to be processed", on_timeout=worker.log)
    assert worker.log().count("documents.job_run") >= 2
    assert job(pending.pk).attempts == 1
    assert_one_document(pending.pk, chaos_media)
