"""Asking for FINESS imports (``FinessImportRun``): what the upload page calls.

``finess_import_run_request`` stores the uploaded files under server-chosen names (``core.uploads``), writes a PENDING
run and enqueues its task on commit (``members.tasks.members_finess_import``). The worker's side is
``members.finess.execution`` (the task calls it), so asking and running import each other in one
direction only: runs → tasks → execution.
"""

import datetime
from collections.abc import Sequence

import pghistory
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.enums import JobStatus, JournalAction
from core.exceptions import BusinessRuleError
from core.jobs import job_enqueue
from core.journal import journal_record
from core.perms import is_platform_admin, require
from core.uploads import UploadType, upload_store
from members import tasks
from members.finess.importer import close_establishments
from members.models import Establishment, FinessImportRun


STORAGE_FOLDER = "finess"


@transaction.atomic
def finess_import_run_request(*, uploads: Sequence[UploadedFile], actor) -> FinessImportRun:
    """Store the uploaded extracts and ask the worker to import them (on commit).

    The files were checked by the upload form (``core.uploads.upload_check``: size, type by content;
    then the FINESS layout) and are stored by ``core.uploads.upload_store`` under generated names;
    the import itself checks them again, line by line, in the worker.
    """
    stored = [
        upload_store(upload, folder=STORAGE_FOLDER, type=getattr(upload, "upload_type", UploadType.TEXT))
        for upload in uploads
    ]
    run = FinessImportRun.objects.create(files=[item.as_dict() for item in stored], requested_by=actor)
    job_enqueue(run, tasks.members_finess_import.delay)
    return run


@transaction.atomic
def finess_closures_decide(*, run: FinessImportRun, index: int, confirm: bool, actor) -> int:
    """Apply (``confirm``) or set aside a closure wave an import kept for confirmation; journaled.

    Platform admins only. A wave is decided once. Confirming closes, on the extract date, the
    establishments of the wave that are still open and whose FINESS update date is still older than
    the extract (a later import may have listed them again); returns how many were closed.
    """
    require(is_platform_admin(actor), "Seul un administrateur de la plateforme peut confirmer des fermetures FINESS.")
    run = FinessImportRun.objects.select_for_update().get(pk=run.pk)
    waves = (run.result or {}).get("pending_closures") or []
    if run.status != JobStatus.DONE or not 0 <= index < len(waves):
        raise BusinessRuleError("Cet import n'a pas de fermetures en attente à ce numéro.")
    wave = waves[index]
    if wave.get("decision"):
        raise BusinessRuleError("Ces fermetures ont déjà été confirmées ou écartées.")
    extract_date = datetime.date.fromisoformat(wave["extract_date"])
    closed = 0
    if confirm:
        ids = list(
            Establishment.objects.filter(
                id__in=[pk for pk, _finess, _name in wave["establishments"]],
                departement_id=wave["departement"],
                closed=False,
            )
            .filter(Q(finess_updated_on__isnull=True) | Q(finess_updated_on__lt=extract_date))
            .values_list("id", flat=True)
        )
        with pghistory.context(source="finess_closures_decide", run=str(run.public_id), user=actor.pk):
            close_establishments(ids, closed_on=extract_date, now=timezone.now())
        closed = len(ids)
        run.result["closed"] = run.result.get("closed", 0) + closed
    wave["decision"] = {
        "confirmed": confirm,
        "by": str(actor),
        "at": timezone.now().isoformat(),
        "closed": closed,
    }
    run.save(update_fields=["result", "updated_at"])
    journal_record(
        action=JournalAction.FINESS_CLOSURES_DECIDED,
        groupement=None,
        actor=actor,
        target=run,
        facts={
            "run": str(run.public_id),
            "departement": wave["departement"],
            "extract_date": wave["extract_date"],
            "confirmed": confirm,
            "proposed": len(wave["establishments"]),
            "closed": closed,
        },
    )
    return closed
