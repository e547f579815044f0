"""Writes of documents: request a document, finalise a draft. Heavy work runs in the worker.

``document_request`` writes the job row in the caller's transaction and enqueues the task on commit;
it returns at once, even when the broker is down (the row stays PENDING and the sweep sends it
later). ``job_run`` (the worker's side) lives in ``documents.production``.
"""

import re

from django.db import transaction
from django.db.models import Model

from core.enums import JobStatus, JournalAction
from core.exceptions import BusinessRuleError
from core.jobs import job_enqueue
from core.journal import journal_record
from core.perms import checker_for, require
from documents import perms, registry, tasks
from documents.enums import DocumentStatus
from documents.models import Document, GenerationJob
from documents.production import Outcome, job_run


__all__ = ["Outcome", "document_finalise", "document_request", "job_run", "subject_key_for"]

SUBJECT_KEY = re.compile(r"^[a-z][a-z0-9_.]*:[A-Za-z0-9_.-]{1,60}$")


def subject_key_for(subject, *, groupement, year: int | None) -> str:
    """What a document is about, as an indexable key: ``"<what>:<id>"``.

    ``subject`` may be such a key, a model instance (``"<app>.<model>:<pk>"``) or None: then the
    year (``"year:2026"``) or else the groupement itself (``"groupement:12"``).
    """
    if subject is None:
        return f"year:{year}" if year is not None else f"groupement:{groupement.pk}"
    if isinstance(subject, Model):
        return f"{subject._meta.label_lower}:{subject.pk}"
    key = str(subject)
    if not SUBJECT_KEY.match(key):
        raise BusinessRuleError(f"Objet de document invalide : « {key[:80]} ».")
    return key


def _subject_key_of(spec: registry.KindSpec, subject, *, groupement, year: int | None) -> str:
    """The subject key of a request, checked against the kind's subject (registry): an object kind
    needs one object of the groupement; the groupement's own kinds take none, and a year only with
    ``SUBJECT_GROUPEMENT_YEAR``."""
    if isinstance(spec.subject, registry.ObjectSubject):
        if subject is None:
            raise BusinessRuleError(
                f"Le document « {spec.title} » porte sur un objet précis : demandez-le depuis sa page."
            )
        key = subject_key_for(subject, groupement=groupement, year=year)
        pk = key.removeprefix(spec.subject.prefix)
        if pk == key or spec.subject.resolve(groupement, pk) is None:
            raise BusinessRuleError(
                f"Cet objet ne peut pas être le sujet du document « {spec.title} » de ce groupement."
            )
        return key
    if subject is not None and not (isinstance(subject, Model) and subject == groupement):
        raise BusinessRuleError(f"Le document « {spec.title} » porte sur le groupement lui-même, sans autre objet.")
    if year is not None and not spec.takes_year:
        raise BusinessRuleError(f"Le document « {spec.title} » ne porte pas sur une année : laissez l'année vide.")
    return subject_key_for(None, groupement=groupement, year=year)


def _actor_or_none(actor):
    return actor if actor is not None and actor.is_authenticated else None


@transaction.atomic
def document_request(
    *,
    kind: str,
    groupement,
    subject=None,
    year: int | None = None,
    final: bool = False,
    actor,
    enqueue: bool = True,
) -> GenerationJob:
    """Ask for a document: a PENDING job now, its task enqueued when the transaction commits.

    ``subject``: for a kind about an object of its room (``registry.ObjectSubject``), that object
    (or its key), which must belong to the groupement; for the groupement's own kinds, None (the
    key is then ``"year:<N>"`` with a year, else ``"groupement:<pk>"``).

    The actor must be allowed to produce the groupement's documents (``can_generate_documents``),
    and to finalise them for a final document, without the "PROJET" mark (``can_finalise_documents``);
    refused with ``RightRequired`` (403). ``actor=None`` is the platform itself (commands, demo
    loader), not checked. Asking again while the same
    request is still waiting or running returns that job rather than a second one.
    """
    if actor is not None:
        checker = checker_for(actor)
        require(
            perms.can_generate_documents(checker, groupement),
            "Vous n'avez pas le droit de produire les documents de ce groupement.",
        )
        require(
            not final or perms.can_finalise_documents(checker, groupement),
            "Vous n'avez pas le droit de produire un document définitif pour ce groupement.",
        )
    spec = registry.get(kind)
    if not spec.is_available_for(groupement):
        raise BusinessRuleError(f"Le document « {spec.title} » n'est pas disponible pour ce groupement.")
    if year is not None and not 2000 <= int(year) <= 2100:
        raise BusinessRuleError(f"L'année {year} n'est pas valide.")
    subject_key = _subject_key_of(spec, subject, groupement=groupement, year=year)
    same = GenerationJob.objects.active().filter(
        kind=spec.kind, groupement=groupement, subject_key=subject_key, year=year, final=final, finalises=None
    )
    existing = same.select_for_update(of=("self",)).order_by("created_at").first()
    if existing is not None:
        return existing
    job = GenerationJob(
        kind=spec.kind,
        groupement=groupement,
        subject_key=subject_key,
        year=year,
        final=final,
        requested_by=_actor_or_none(actor),
    )
    job.full_clean()
    job.save()
    journal_record(
        action=JournalAction.DOCUMENT_REQUESTED,
        groupement=groupement,
        actor=actor,
        target=job,
        facts={"groupement": groupement.pk, "kind": spec.kind},
    )
    if enqueue:
        job_enqueue(job, tasks.documents_job_run.delay)
    return job


@transaction.atomic
def document_finalise(*, document: Document, actor, enqueue: bool = True) -> GenerationJob:
    """Finalise a draft: a job turns it into the final file of the same version, without "PROJET".

    The final file is made from the draft's own content (not from today's data), so it says exactly
    what was reviewed. The actor must be allowed to finalise the groupement's documents
    (``can_finalise_documents``; ``actor=None`` is the platform, not checked). A final document is
    never changed; a version older than a final one cannot be finalised. Journaled
    (DOCUMENT_FINALISED) when the final file is stored.
    """
    if actor is not None:
        require(
            perms.can_finalise_documents(checker_for(actor), document.groupement),
            "Vous n'avez pas le droit de finaliser les documents de ce groupement.",
        )
    document = Document.objects.select_for_update(of=("self",)).get(pk=document.pk)
    if document.status != DocumentStatus.DRAFT:
        raise BusinessRuleError("Ce document est déjà définitif : il ne peut plus être modifié.")
    newer_final = (
        Document.objects.filter(
            kind=document.kind,
            groupement_id=document.groupement_id,
            subject_key=document.subject_key,
            version__gt=document.version,
            status=DocumentStatus.FINAL,
        )
        .order_by("-version")
        .first()
    )
    if newer_final is not None:
        raise BusinessRuleError(
            f"La version {newer_final.version} de ce document est déjà définitive : "
            f"la version {document.version} ne peut plus être finalisée."
        )
    existing = document.finalisation_jobs.filter(status__in=[JobStatus.PENDING, JobStatus.RUNNING]).first()
    if existing is not None:
        return existing
    job = GenerationJob(
        kind=document.kind,
        groupement_id=document.groupement_id,
        subject_key=document.subject_key,
        year=document.year,
        final=True,
        finalises=document,
        requested_by=_actor_or_none(actor),
    )
    job.full_clean()
    job.save()
    if enqueue:
        job_enqueue(job, tasks.documents_job_run.delay)
    return job
