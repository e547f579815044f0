"""Pages of documents: the groupement's list, the request form, a job's progress, download, finalise.

Thin views: one permission check on the groupement (``members.access.get_groupement_for``), one
service or selector call. Nothing heavy runs here: documents are produced by the worker.
"""

import hashlib
import logging

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from core.enums import JobStatus
from core.exceptions import BusinessRuleError
from core.journal import journal_record
from core.perms import request_checker
from documents import perms, selectors, services
from documents.enums import DOCUMENT_DOWNLOADED
from documents.forms import DocumentFilterForm, DocumentRequestForm
from documents.models import Document, GenerationJob
from documents.renderers import MIME_TYPES
from members import perms as member_perms
from members.access import get_groupement_for


logger = logging.getLogger(__name__)

PAGE_SIZE = 20


def _request_form(groupement, abilities, data=None) -> DocumentRequestForm:
    return DocumentRequestForm(
        data, kinds=selectors.kind_choices_for(groupement), can_finalise=abilities["finalise"], prefix="demande"
    )


@require_safe
def document_list(request, slug: str):
    groupement = get_groupement_for(request, slug, member_perms.VIEW_GROUPEMENT)
    checker = request_checker(request)
    abilities = perms.document_abilities(checker, groupement)
    kinds = selectors.kind_choices_for(groupement)
    filters = DocumentFilterForm(request.GET or None, kinds=kinds)
    kind = status = None
    if filters.is_valid():
        kind, status = filters.cleaned_data["kind"] or None, filters.cleaned_data["status"] or None
    documents = selectors.document_list(groupement=groupement, kind=kind, status=status)
    page = Paginator(documents, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        {"document": document, "can_finalise": perms.can_finalise_document(checker, groupement, document)}
        for document in page
    ]
    context = {
        "groupement": groupement,
        "abilities": abilities,
        "filters": filters,
        "filtered": bool(kind or status),
        "page_obj": page,
        "rows": rows,
        "jobs": selectors.job_list_unfinished(groupement=groupement),
        "request_form": _request_form(groupement, abilities) if abilities["generate"] else None,
    }
    return render(request, "documents/document_list.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
def document_request(request, slug: str):
    """GET: the request form; POST: ask for the document and go to its job page."""
    groupement = get_groupement_for(request, slug, perms.GENERATE_DOCUMENTS)
    abilities = perms.document_abilities(request_checker(request), groupement)
    form = _request_form(groupement, abilities, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            job = services.document_request(
                kind=form.cleaned_data["kind"],
                groupement=groupement,
                year=form.cleaned_data["year"],
                final=form.cleaned_data.get("final", False),
                actor=request.user,
            )
        except BusinessRuleError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                f"Demande enregistrée : « {job.kind_label} » est en cours de production. "
                "Vous pouvez quitter cette page ; le document apparaîtra dans « Documents ».",
            )
            return redirect("documents:job_detail", slug=groupement.slug, pk=job.pk)
    return render(request, "documents/document_request.html", {"groupement": groupement, "form": form})


@never_cache
@require_safe
def job_detail(request, slug: str, pk: int):
    """A job's progress; htmx polls it (``components/job_progress.html``) until it is done or failed."""
    groupement = get_groupement_for(request, slug, member_perms.VIEW_GROUPEMENT)
    try:
        job = selectors.job_get(groupement=groupement, pk=pk)
    except GenerationJob.DoesNotExist:
        raise Http404("Cette tâche n'existe pas.") from None
    document = job.result_document if job.status == JobStatus.DONE else None
    context = {
        "groupement": groupement,
        "job": job,
        "document": document,
        "poll_url": reverse("documents:job_detail", kwargs={"slug": groupement.slug, "pk": job.pk}),
        "result_url": (
            reverse("documents:document_download", kwargs={"slug": groupement.slug, "pk": document.pk})
            if document
            else ""
        ),
        "result_label": f"Télécharger « {document.title} » (version {document.version})" if document else "",
    }
    if request.htmx:
        return render(request, "documents/includes/job_status.html", context)
    return render(request, "documents/job_detail.html", context)


def download_filename(document: Document) -> str:
    """A server-chosen, ASCII-only file name (ASVS 5.0 5.4.1): kind, groupement, year, version, status."""
    parts = [document.kind_label, document.groupement.slug]
    if document.year:
        parts.append(str(document.year))
    parts += [f"v{document.version}", "projet" if document.is_draft else "definitif"]
    stem = slugify("-".join(parts))[:120] or "document"
    return f"{stem}.{document.format}"


@never_cache
@require_safe
def document_download(request, slug: str, pk: int):
    """Stream the stored file as an attachment, after checking it still matches its sha256."""
    groupement = get_groupement_for(request, slug, member_perms.VIEW_GROUPEMENT)
    try:
        document = selectors.document_get(groupement=groupement, pk=pk)
    except Document.DoesNotExist:
        raise Http404("Ce document n'existe pas.") from None
    try:
        handle = document.file.open("rb")
    except FileNotFoundError:
        logger.error("Document %s : fichier %s introuvable", document.pk, document.file.name)
        raise Http404("Le fichier de ce document est introuvable. Signalez-le à l'assistance.") from None
    digest = hashlib.sha256()
    for chunk in iter(lambda: handle.read(1 << 16), b""):
        digest.update(chunk)
    if digest.hexdigest() != document.sha256:
        handle.close()
        logger.error("Document %s : le fichier ne correspond plus à son empreinte SHA-256", document.pk)
        return render(
            request,
            "documents/document_altered.html",
            {"groupement": groupement, "document": document},
            status=409,
        )
    handle.seek(0)
    journal_record(
        action=DOCUMENT_DOWNLOADED,
        groupement=document.groupement_id,
        actor=request.user,
        target=document,
        facts={"document": document.pk, "kind": document.kind, "version": document.version},
    )
    response = FileResponse(
        handle, as_attachment=True, filename=download_filename(document), content_type=MIME_TYPES[document.format]
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_POST
def document_finalise(request, slug: str, pk: int):
    groupement = get_groupement_for(request, slug, perms.FINALISE_DOCUMENTS)
    try:
        document = selectors.document_get(groupement=groupement, pk=pk)
    except Document.DoesNotExist:
        raise Http404("Ce document n'existe pas.") from None
    try:
        job = services.document_finalise(document=document, actor=request.user)
    except BusinessRuleError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("documents:document_list", slug=groupement.slug)
    messages.success(
        request, f"Finalisation de la version {document.version} demandée : la version définitive est en production."
    )
    return redirect("documents:job_detail", slug=groupement.slug, pk=job.pk)
