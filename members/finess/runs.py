"""Asking for FINESS imports (``FinessImportRun``): what the upload page calls.

``finess_import_run_request`` stores the uploaded files under server-chosen names, writes a PENDING
run and enqueues its task on commit (``members.tasks.members_finess_import``). The worker's side is
``members.finess.execution`` (the task calls it), so asking and running import each other in one
direction only: runs → tasks → execution.
"""

import hashlib
import pathlib
import uuid
from collections.abc import Sequence

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from core.jobs import job_enqueue
from members import tasks
from members.models import FinessImportRun


STORAGE_FOLDER = "finess"


def display_name(name: str) -> str:
    """The user's file name, for display only: no folder, no control character, at most 200 characters."""
    base = pathlib.PurePath(name.replace("\\", "/")).name
    cleaned = "".join(ch for ch in base if ch.isprintable()).strip()
    return cleaned[:200] or "fichier"


def _store(upload: UploadedFile) -> dict:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    storage_name = default_storage.save(f"{STORAGE_FOLDER}/{uuid.uuid4().hex}.dat", upload)
    return {
        "name": display_name(upload.name or ""),
        "storage_name": storage_name,
        "sha256": digest.hexdigest(),
        "size": upload.size,
    }


@transaction.atomic
def finess_import_run_request(*, uploads: Sequence[UploadedFile], actor) -> FinessImportRun:
    """Store the uploaded extracts and ask the worker to import them (on commit).

    The files were checked by the upload form (size, text, FINESS layout); the import itself checks
    them again, line by line, in the worker.
    """
    run = FinessImportRun.objects.create(files=[_store(upload) for upload in uploads], requested_by=actor)
    job_enqueue(run, tasks.members_finess_import.delay)
    return run
