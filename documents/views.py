"""Pages of documents: the groupement's list, the request form, a job's progress, download, finalise.

Thin views: one permission check on the groupement, one service or selector call. Writing needs a
right on the groupement (``members.access.get_groupement_for``); reading is open to the audiences
of each kind (``documents.audience``): the groupement's staff, the directors of its members, the
readers of its territory (final documents). Nothing heavy runs here: the worker produces documents.
"""

import hashlib
import logging

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from core.enums import JobStatus, JournalAction
from core.exceptions import BusinessRuleError
from core.journal import journal_record
from core.perms import request_checker
from documents import audience, perms, registry, selectors, services
from documents.forms import DocumentFilterForm, DocumentRequestForm
from documents.models import Document, GenerationJob
from documents.renderers import MIME_TYPES
from members.access import get_groupement_for
from members.models import Groupement


logger = logging.getLogger(__name__)

PAGE_SIZE = 20


def _request_form(groupement, abilities, data=None) -> DocumentRequestForm:
    kinds, yearless = selectors.request_form_kinds(groupement)
    return DocumentRequestForm(
        data, kinds=kinds, yearless_kinds=yearless, can_finalise=abilities["finalise"], prefix="demande"
    )


def _groupement_for_reader(request, slug: str) -> tuple[Groupement, frozenset[registry.Audience]]:
    """The groupement of the URL and the user's audiences for it; 403 when they read none of its documents."""
    groupement = get_object_or_404(Groupement.objects.select_related("region"), slug=slug)
    audiences = audience.audiences_for(request_checker(request), groupement)
    if not audiences:
        raise PermissionDenied("Vous n'avez pas accès aux documents de ce groupement.")
    return groupement, audiences


@require_safe
def document_list(request, slug: str):
    """The documents the user reads: all of them for the staff, their audience's for the others."""
    groupement, audiences = _groupement_for_reader(request, slug)
    staff = registry.Audience.STAFF in audiences
    checker = request_checker(request)
    abilities = {**perms.document_abilities(checker, groupement), "staff": staff}
    kinds = selectors.kind_choices_for(groupement, audiences=audiences)
    filters = DocumentFilterForm(request.GET or None, kinds=kinds)
    kind = status = None
    if filters.is_valid():
        kind, status = filters.cleaned_data["kind"] or None, filters.cleaned_data["status"] or None
    documents = selectors.document_list(groupement=groupement, kind=kind, status=status, audiences=audiences)
    page = Paginator(documents, PAGE_SIZE).get_page(request.GET.get("page"))
    for document in page:
        document.groupement = groupement  # the subjects read it: no query per row
    subjects = registry.resolve_subjects(page)
    rows = []
    for document in page:
        subject = subjects[(document.kind, document.subject_key)]
        rows.append(
            {
                "document": document,
                "can_finalise": perms.can_finalise_document(checker, groupement, document),
                "subject_label": subject.label,
                # Subject pages are the groupement's: linked for its staff only.
                "subject_url": subject.url if staff else "",
            }
        )
    context = {
        "groupement": groupement,
        "abilities": abilities,
        "readers_only": audiences == {registry.Audience.READERS},
        "filters": filters,
        "filtered": bool(kind or status),
        "page_obj": page,
        "rows": rows,
        "jobs": selectors.job_list_unfinished(groupement=groupement) if staff else [],
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
    """A job's progress; htmx polls it (``components/job_progress.html``) until it is done or failed.

    Open to the groupement's staff, and to whoever reads the document the job produced.
    """
    groupement, audiences = _groupement_for_reader(request, slug)
    try:
        job = selectors.job_get(groupement=groupement, pk=pk)
    except GenerationJob.DoesNotExist:
        raise Http404("Cette tâche n'existe pas.") from None
    document = job.result_document if job.status == JobStatus.DONE else None
    staff = registry.Audience.STAFF in audiences
    if not staff and not (
        document and audience.can_read_document(request_checker(request), document, audiences=audiences)
    ):
        raise PermissionDenied("Cette tâche est réservée à l'équipe du groupement.")
    context = {
        "groupement": groupement,
        "abilities": {"staff": staff},
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
    """Stream the stored file as an attachment, after checking it still matches its sha256.

    Open to the document's audiences (``audience.can_read_document``); every download is journaled.
    """
    groupement, audiences = _groupement_for_reader(request, slug)
    try:
        document = selectors.document_get(groupement=groupement, pk=pk)
    except Document.DoesNotExist:
        raise Http404("Ce document n'existe pas.") from None
    if not audience.can_read_document(request_checker(request), document, audiences=audiences):
        raise PermissionDenied("Ce document n'est pas mis à votre disposition.")
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
            {
                "groupement": groupement,
                "document": document,
                "abilities": {"staff": registry.Audience.STAFF in audiences},
            },
            status=409,
        )
    handle.seek(0)
    journal_record(
        action=JournalAction.DOCUMENT_DOWNLOADED,
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
