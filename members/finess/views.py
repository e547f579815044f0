"""Pages of the FINESS import, for platform admins only: upload, list of imports, one import's progress.

Thin views: the permission check, the form, one service or selector call. The import runs in the
worker (members.tasks.members_finess_import).
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from core.exceptions import BusinessRuleError
from core.perms import is_platform_admin, require
from members.finess import runs, selectors
from members.finess.forms import FinessUploadForm
from members.models import FinessImportRun


def _check_platform_admin(request) -> None:
    require(is_platform_admin(request.user), "L'import FINESS est réservé aux administrateurs de la plateforme.")


@require_http_methods(["GET", "HEAD", "POST"])
def run_list(request):
    """GET: the upload form and the latest imports; POST: store the files and start the import."""
    _check_platform_admin(request)
    form = FinessUploadForm(request.POST, request.FILES) if request.method == "POST" else FinessUploadForm()
    if request.method == "POST" and form.is_valid():
        run = runs.finess_import_run_request(uploads=form.cleaned_data["files"], actor=request.user)
        messages.success(request, "Fichiers reçus : l'import est lancé. Vous pouvez suivre son avancement ici.")
        return redirect("finess:run_detail", public_id=run.public_id)
    rows = selectors.finess_import_run_rows(selectors.finess_import_run_list())
    return render(request, "members/finess/run_list.html", {"form": form, "rows": rows})


@never_cache
@require_safe
def run_detail(request, public_id):
    """One import: files, progress (polled by htmx until it ends), then counts and rejected lines."""
    _check_platform_admin(request)
    try:
        run = selectors.finess_import_run_get(public_id=public_id)
    except FinessImportRun.DoesNotExist:
        raise Http404("Cet import n'existe pas.") from None
    context = {
        "run": run,
        "result": selectors.finess_import_run_result(run),
        "poll_url": reverse("finess:run_detail", kwargs={"public_id": run.public_id}),
    }
    if request.htmx:
        return render(request, "members/finess/includes/run_status.html", context)
    return render(request, "members/finess/run_detail.html", context)


@require_POST
def run_closures(request, public_id, index: int):
    """Confirm or set aside a closure wave kept by an import (button ``decision`` = confirm / reject)."""
    _check_platform_admin(request)
    try:
        run = selectors.finess_import_run_get(public_id=public_id)
    except FinessImportRun.DoesNotExist:
        raise Http404("Cet import n'existe pas.") from None
    decision = request.POST.get("decision")
    if decision not in ("confirm", "reject"):
        messages.error(request, "Choisissez de confirmer ou d'écarter les fermetures.")
        return redirect("finess:run_detail", public_id=run.public_id)
    try:
        closed = runs.finess_closures_decide(run=run, index=index, confirm=decision == "confirm", actor=request.user)
    except BusinessRuleError as error:
        messages.error(request, error.message)
    else:
        if decision == "confirm":
            messages.success(request, f"Fermetures confirmées : {closed} établissements fermés.")
        else:
            messages.success(request, "Fermetures écartées : aucun établissement n'a été fermé.")
    return redirect("finess:run_detail", public_id=run.public_id)
