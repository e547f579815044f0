"""Reads of documents: the groupement's documents and jobs, scoped by groupement first."""

import datetime

from django.db.models import QuerySet
from django.utils import timezone

from core.enums import JobStatus
from documents import registry
from documents.enums import DocumentStatus
from documents.models import Document, GenerationJob


def document_list(*, groupement, kind: str | None = None, status: str | None = None) -> QuerySet[Document]:
    """The groupement's documents, newest first, ready for the list page (no per-row query)."""
    qs = Document.objects.filter(groupement=groupement).select_related("generated_by").defer("source")
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


def kind_choices_for(groupement) -> list[tuple[str, str]]:
    """(code, title) of the kinds offered for the groupement."""
    return [(spec.kind, spec.title) for spec in registry.kinds_for(groupement)]
