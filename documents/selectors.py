"""Reads of documents: the groupement's documents and jobs, scoped by groupement first."""

import datetime

from django.db.models import QuerySet
from django.utils import timezone

from core.enums import JobStatus
from documents import audience, registry
from documents.enums import DocumentStatus
from documents.models import Document, GenerationJob
from members.models import Groupement


def document_list(
    *, groupement, kind: str | None = None, status: str | None = None, audiences: frozenset | None = None
) -> QuerySet[Document]:
    """The groupement's documents that ``audiences`` read (``documents.audience``; None: all), newest
    first, ready for the list page (no per-row query)."""
    qs = Document.objects.filter(groupement=groupement).select_related("generated_by").defer("source")
    readable = audience.readable_q(audiences) if audiences is not None else None
    if readable is not None:
        qs = qs.filter(readable)
    if kind:
        qs = qs.filter(kind=kind)
    if status in DocumentStatus.values:
        qs = qs.filter(status=status)
    return qs.order_by("-generated_at", "-id")


def document_get(*, groupement, pk: int) -> Document:
    """One document of the groupement (404 through ``Document.DoesNotExist`` otherwise)."""
    return Document.objects.defer("source").select_related("groupement").get(groupement=groupement, pk=pk)


def job_list_unfinished(*, groupement, days: int = 7, limit: int = 10) -> list[GenerationJob]:
    """Jobs of the groupement still waiting or running, or failed in the last ``days`` days."""
    since = timezone.now() - datetime.timedelta(days=days)
    qs = GenerationJob.objects.filter(groupement=groupement, created_at__gte=since).exclude(status=JobStatus.DONE)
    return list(qs.select_related("requested_by").order_by("-created_at", "-id")[:limit])


def job_get(*, groupement, pk: int) -> GenerationJob:
    """One job of the groupement with the document it produced or finalised."""
    return (
        GenerationJob.objects.select_related("document", "finalises", "requested_by")
        .defer("document__source", "finalises__source")
        .get(groupement=groupement, pk=pk)
    )


def kind_choices_for(groupement, *, audiences: frozenset | None = None, requestable: bool | None = None):
    """(code, title) of the kinds offered for the groupement: those ``audiences`` read (None: all),
    only those of the request form with ``requestable=True``."""
    specs = registry.kinds_for(groupement, requestable=requestable)
    if audiences is not None:
        specs = [spec for spec in specs if spec.audience & audiences]
    return [(spec.kind, spec.title) for spec in specs]


def request_form_kinds(groupement) -> tuple[list[tuple[str, str]], frozenset[str]]:
    """The kinds the generic request form offers for the groupement, as (code, title), and the codes
    of those that take no year."""
    specs = registry.kinds_for(groupement, requestable=True)
    return [(spec.kind, spec.title) for spec in specs], frozenset(spec.kind for spec in specs if not spec.takes_year)


def documents_for_member_director(*, user, limit: int = 50) -> list[dict]:
    """The latest documents a member director reads, with their subject's label: kinds of the
    ``MEMBERS`` audience, of every groupement they direct a member of today (one query, plus one per
    room model and groupement for the subjects)."""
    qs = (
        Document.objects.filter(
            groupement_id__in=audience.member_groupement_ids(user), kind__in=audience.member_kinds()
        )
        .select_related("groupement")
        .defer("source")
        .order_by("-generated_at", "-id")
    )
    documents = list(qs[:limit])
    subjects = registry.resolve_subjects(documents)
    return [
        {"document": document, "subject_label": subjects[(document.kind, document.subject_key)].label}
        for document in documents
    ]


def member_groupements(*, user) -> QuerySet[Groupement]:
    """The groupements the user directs a member of today, by name."""
    return Groupement.objects.filter(pk__in=audience.member_groupement_ids(user)).order_by("name")
