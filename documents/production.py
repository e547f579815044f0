"""The worker's side of documents: run one job (build, render, store), and sweep forgotten jobs.

``job_run`` is idempotent: it runs under the job's lease (``core.jobs.job_lease``), so two
deliveries never run at once; a done job is left alone; the result lands in one transaction
(file stored under a deterministic name, Document row, job done, journal) and a failed transaction
removes the stored file. A re-run never makes a second Document or a second file.
"""

import datetime
import enum
import gzip
import hashlib
import logging
from collections.abc import Callable

import pghistory
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from core.enums import JobStatus, JournalAction
from core.exceptions import BusinessRuleError
from core.jobs import JobProgress, job_fail, job_finish, job_lease, job_sweep
from core.journal import journal_record
from documents import registry, renderers
from documents.enums import DocumentFormat, DocumentStatus
from documents.models import Document, GenerationJob


logger = logging.getLogger(__name__)


class Outcome(enum.StrEnum):
    DONE = "done"
    FAILED = "failed"
    RETRY = "retry"  # the attempt failed, attempts are left: run it again later
    SKIPPED = "skipped"  # nothing to do (finished, or another run holds the lease)


def _unexpected_message(attempts: int, max_attempts: int) -> str:
    if attempts >= max_attempts:
        return (
            f"La production a échoué après {attempts} tentatives à cause d'une erreur technique. "
            "Merci de réessayer plus tard ; si l'erreur persiste, signalez-la à l'assistance."
        )
    return f"Erreur technique lors de la tentative {attempts} sur {max_attempts} : nouvel essai automatique."


def _timeout_message(attempts: int, max_attempts: int) -> str:
    if attempts >= max_attempts:
        return (
            f"La production a dépassé le temps alloué à chacune des {attempts} tentatives. "
            "Le document est sans doute trop volumineux : signalez-le à l'assistance."
        )
    return f"Tentative {attempts} sur {max_attempts} trop longue : nouvel essai automatique."


def retry_delay(attempts: int) -> int:
    """Seconds before the next attempt: DOCUMENTS_RETRY_DELAY, doubled at each attempt, capped."""
    base = settings.DOCUMENTS_RETRY_DELAY
    return int(min(base * 2 ** max(attempts - 1, 0), settings.DOCUMENTS_RETRY_DELAY_MAX))


def job_run(job_id: int) -> Outcome:
    """Run one attempt of a generation job: build the context, render, store the Document.

    Rule errors (``BusinessRuleError``) fail the job at once with their French message; other
    errors count as an attempt (RETRY while attempts are left, then FAILED with a message for the
    user). Returns what happened, so the task knows whether to retry.
    """
    with job_lease(GenerationJob, job_id) as job:
        if job is None:
            return Outcome.SKIPPED
        try:
            with JobProgress(job) as reporter:
                if job.finalises_id:
                    return _finalise(job, reporter)
                return _produce(job, reporter)
        except BusinessRuleError as error:
            job_fail(job, " ".join(error.messages), final=True)
            return Outcome.FAILED
        except SoftTimeLimitExceeded:
            logger.warning("Document : tâche %s trop longue (tentative %s)", job.pk, job.attempts)
            job_fail(job, _timeout_message(job.attempts, job.max_attempts), final=False)
        except Exception:
            logger.exception("Document : erreur inattendue, tâche %s (tentative %s)", job.pk, job.attempts)
            job_fail(job, _unexpected_message(job.attempts, job.max_attempts), final=False)
        return Outcome.RETRY if job.status == JobStatus.PENDING else Outcome.FAILED


def _progress_for(reporter: JobProgress, start: int, end: int) -> Callable[[int, str], None]:
    """A ``progress(percent, step)`` that maps 0–100 onto ``start``–``end`` of the job's bar.

    Writes through the run's one throttled ``JobProgress``: WeasyPrint reports many steps per page.
    """

    def progress(percent: int, step: str) -> None:
        percent = max(0, min(100, int(percent)))
        reporter(start + (end - start) * percent // 100, step)

    return progress


def _subject_lock(cursor, job: GenerationJob) -> None:
    """Serialise version numbering of one (kind, groupement, subject) until the transaction ends.

    A one-key (bigint) advisory lock: PostgreSQL keeps it apart from the two-key job leases.
    """
    digest = hashlib.blake2b(f"documents|{job.kind}|{job.groupement_id}|{job.subject_key}".encode(), digest_size=8)
    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [int.from_bytes(digest.digest(), "big", signed=True)])


def _next_version(job: GenerationJob) -> int:
    same = Document.objects.filter(kind=job.kind, groupement_id=job.groupement_id, subject_key=job.subject_key)
    return (same.aggregate(last=Max("version"))["last"] or 0) + 1


def _doc_meta(job: GenerationJob, spec: registry.KindSpec, context: dict, version: int, *, draft: bool) -> dict:
    title = context.get("document_title") or f"{spec.title} — {job.groupement.name}"
    return {
        "title": title,
        "kind": job.kind,
        "kind_title": spec.title,
        "version": version,
        "draft": draft,
        "status_label": DocumentStatus.DRAFT.label.lower() if draft else DocumentStatus.FINAL.label.lower(),
        "issued_on": timezone.localdate(),
        "groupement_name": job.groupement.name,
        "year": job.year,
    }


def _render(job, spec, context, version, reporter) -> tuple[renderers.Rendered, bytes | None, str]:
    """The rendered file, the gzip of its final form's HTML (drafts of PDFs), and the title."""
    draft = not job.final
    meta = _doc_meta(job, spec, context, version, draft=draft)
    progress = _progress_for(reporter, 40, 90)
    if spec.format == DocumentFormat.PDF:
        html = renderers.render_html(spec.template, {**context, "doc": meta})
        source = None
        if draft:
            final_meta = _doc_meta(job, spec, context, version, draft=False)
            source = gzip.compress(renderers.render_html(spec.template, {**context, "doc": final_meta}).encode())
        progress(0, "Mise en page")
        return renderers.html_to_pdf(html, progress=progress), source, meta["title"]
    progress(0, "Écriture du tableur")
    rendered = renderers.render_xlsx(
        sheets=spec.sheets(context),
        title=meta["title"],
        creator=f"gtsms — {job.groupement.name}",
        description=f"{spec.title}, version {version}, {meta['status_label']}",
    )
    return rendered, None, meta["title"]


def _file_name(job: GenerationJob, version: int, extension: str) -> str:
    """Deterministic storage name: one per (job, version), so a re-run reuses it."""
    return f"documents/{job.groupement_id}/{job.kind}/{job.pk}-v{version}.{extension}"


def _save_file(name: str, content: bytes) -> str:
    """Store finished bytes under ``name``; a leftover from a dead run of the same job is replaced."""
    if default_storage.exists(name):
        default_storage.delete(name)
    return default_storage.save(name, ContentFile(content))


def _discard_file(job_id: int, name: str | None) -> None:
    """Delete a file stored by a transaction that did not commit (unless a Document does point to it)."""
    if not name:
        return
    try:
        if not Document.objects.filter(file=name).exists():
            default_storage.delete(name)
    except Exception:
        logger.exception("Document : fichier %s de la tâche %s non supprimé", name, job_id)


def _produce(job: GenerationJob, reporter: JobProgress) -> Outcome:
    spec = registry.get(job.kind)
    reporter(5, "Préparation")
    context = spec.builder(job.groupement, job.subject_key, job.year, _progress_for(reporter, 10, 40))
    version = _next_version(job)
    for _ in range(3):  # another job of the same subject may finish first: render again with its number
        rendered, source, title = _render(job, spec, context, version, reporter)
        reporter(95, "Enregistrement")
        result = _store(job, rendered, source=source, title=title, version=version)
        if not isinstance(result, int):
            return result
        version = result
    raise RuntimeError(f"version of job {job.pk} kept moving")


def _store(job, rendered, *, source: bytes | None, title: str, version: int) -> Outcome | int:
    """In one transaction: file, Document, job done, journal. Returns the new version number to
    render again with when another document of the subject took ``version`` meanwhile."""
    name = None
    try:
        with transaction.atomic(), pghistory.context(job=job.pk, user=job.requested_by_id):
            locked = GenerationJob.objects.select_for_update(of=("self",)).get(pk=job.pk)
            if Document.objects.filter(job=locked).exists():
                if locked.status != JobStatus.DONE:
                    job_finish(locked)
                return Outcome.SKIPPED
            if locked.status != JobStatus.RUNNING:
                return Outcome.SKIPPED  # failed by the sweep meanwhile: leave it so
            with connection.cursor() as cursor:
                _subject_lock(cursor, locked)
            actual = _next_version(locked)
            if actual != version:
                return actual
            name = _save_file(_file_name(locked, version, rendered.format), rendered.content)
            document = Document(
                kind=locked.kind,
                groupement_id=locked.groupement_id,
                subject_key=locked.subject_key,
                year=locked.year,
                version=version,
                status=DocumentStatus.FINAL if locked.final else DocumentStatus.DRAFT,
                format=rendered.format,
                title=title[:300],
                file=name,
                sha256=rendered.sha256,
                size=rendered.size,
                page_count=rendered.page_count,
                generated_by_id=locked.requested_by_id,
                generated_at=timezone.now(),
                finalised_at=timezone.now() if locked.final else None,
                finalised_by_id=locked.requested_by_id if locked.final else None,
                job=locked,
                source=source,
            )
            document.save()
            job_finish(locked)
            facts = {"groupement": locked.groupement_id, "kind": locked.kind, "version": version}
            journal_record(
                action=JournalAction.DOCUMENT_ISSUED,
                groupement=locked.groupement_id,
                actor=locked.requested_by,
                target=document,
                facts={**facts, "sha256": rendered.sha256, "status": document.status},
            )
            if locked.final:
                journal_record(
                    action=JournalAction.DOCUMENT_FINALISED,
                    groupement=locked.groupement_id,
                    actor=locked.requested_by,
                    target=document,
                    facts={**facts, "sha256": rendered.sha256},
                )
    except BaseException:
        _discard_file(job.pk, name)
        raise
    logger.info("Document %s produit (tâche %s, version %s, %s octets)", document.pk, job.pk, version, rendered.size)
    return Outcome.DONE


def _finalise(job: GenerationJob, reporter: JobProgress) -> Outcome:
    """Turn a draft into the final file of the same version (exactly the reviewed content)."""
    draft = Document.objects.get(pk=job.finalises_id)
    if draft.status == DocumentStatus.FINAL:
        with transaction.atomic():
            job_finish(GenerationJob.objects.select_for_update(of=("self",)).get(pk=job.pk))
        return Outcome.DONE
    spec_title = registry.title_of(draft.kind)
    reporter(10, "Préparation de la version définitive")
    if draft.format == DocumentFormat.PDF:
        if not draft.source:
            raise BusinessRuleError("Ce projet ne peut pas être finalisé : demandez une nouvelle version.")
        html = gzip.decompress(bytes(draft.source)).decode()
        rendered = renderers.html_to_pdf(html, progress=_progress_for(reporter, 20, 90))
    else:
        with draft.file.open("rb") as handle:
            content = handle.read()
        rendered = renderers.xlsx_mark_final(
            content, description=f"{spec_title}, version {draft.version}, {DocumentStatus.FINAL.label.lower()}"
        )
    reporter(95, "Enregistrement")
    name = None
    old_name = draft.file.name
    try:
        with transaction.atomic(), pghistory.context(job=job.pk, user=job.requested_by_id):
            locked = GenerationJob.objects.select_for_update(of=("self",)).get(pk=job.pk)
            document = Document.objects.select_for_update(of=("self",)).get(pk=draft.pk)
            if locked.status != JobStatus.RUNNING:
                return Outcome.SKIPPED
            if document.status == DocumentStatus.FINAL:
                job_finish(locked)
                return Outcome.DONE
            name = _save_file(_file_name(locked, document.version, rendered.format), rendered.content)
            document.status = DocumentStatus.FINAL
            document.file = name
            document.sha256 = rendered.sha256
            document.size = rendered.size
            document.page_count = rendered.page_count
            document.finalised_at = timezone.now()
            document.finalised_by_id = locked.requested_by_id
            document.source = None
            document.save()
            job_finish(locked)
            journal_record(
                action=JournalAction.DOCUMENT_FINALISED,
                groupement=document.groupement_id,
                actor=locked.requested_by,
                target=document,
                facts={
                    "groupement": document.groupement_id,
                    "kind": document.kind,
                    "version": document.version,
                    "sha256": rendered.sha256,
                },
            )
            transaction.on_commit(lambda: _discard_file(job.pk, old_name))
    except BaseException:
        _discard_file(job.pk, name)
        raise
    return Outcome.DONE


def jobs_sweep(
    *,
    send: Callable[[int], object],
    pending_after: datetime.timedelta | None = None,
    running_after: datetime.timedelta | None = None,
) -> int:
    """Enqueue again the generation jobs the broker lost or whose worker died (``core.jobs.job_sweep``).

    PENDING jobs untouched for ``pending_after`` (DOCUMENTS_SWEEP_PENDING_AFTER) are sent again;
    RUNNING jobs whose worker is gone are sent again after ``running_after``
    (DOCUMENTS_SWEEP_RUNNING_AFTER), or failed when their attempts are used up.
    """
    if pending_after is None:
        pending_after = datetime.timedelta(seconds=settings.DOCUMENTS_SWEEP_PENDING_AFTER)
    if running_after is None:
        running_after = datetime.timedelta(seconds=settings.DOCUMENTS_SWEEP_RUNNING_AFTER)
    return job_sweep(GenerationJob, send, older_than=pending_after, running_older_than=running_after)
