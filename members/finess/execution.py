"""Running FINESS imports in the worker (``FinessImportRun``), called by ``members.tasks``.

``finess_import_run_execute`` claims the run (``core.jobs``), imports the files with ``finess_import``
and stores the result. Asking for an import is ``members.finess.runs``.

Progress: the import holds one transaction per file; ``core.jobs.JobProgress`` writes progress on a
private autocommit connection while a transaction is open, so the polling page sees it. The run is
leased (``core.jobs.job_lease``) so that two deliveries of its task never import at the same time.
"""

import contextlib
import logging
import pathlib
import shutil
import tempfile
from collections.abc import Iterator

from django.core.files.storage import default_storage
from django.db import transaction

from core.jobs import JobProgress, job_fail, job_finish, job_lease
from members.finess.importer import FinessFileError, finess_import
from members.models import FinessImportRun


logger = logging.getLogger(__name__)

TECHNICAL_FAILURE = (
    "L'import a échoué à cause d'une erreur technique. Il sera relancé ; si l'échec se répète, signalez-le."
)


@contextlib.contextmanager
def _local_paths(files: list[dict]) -> Iterator[list[pathlib.Path]]:
    """Local paths of the stored files: the storage's own path, or a temporary copy."""
    with contextlib.ExitStack() as stack:
        paths = []
        for item in files:
            try:
                paths.append(pathlib.Path(default_storage.path(item["storage_name"])))
            except NotImplementedError:
                copy = stack.enter_context(tempfile.NamedTemporaryFile(suffix=".dat"))
                with default_storage.open(item["storage_name"], "rb") as source:
                    shutil.copyfileobj(source, copy)
                copy.flush()
                paths.append(pathlib.Path(copy.name))
        yield paths


def finess_import_run_execute(*, run_id: int) -> None:
    """Import the files of a run and store the result; idempotent (a finished run is left alone).

    A file that is not a FINESS extract fails the run at once (nothing was written); a technical
    error leaves it to be retried while attempts remain (``core.jobs.job_fail``).
    """
    with job_lease(FinessImportRun, run_id) as run:  # a second delivery waits for nothing: it does nothing
        if run is None:
            return
        try:
            with _local_paths(run.files) as paths, JobProgress(run) as progress:
                result = finess_import(
                    paths, names=[item["name"] for item in run.files], actor=run.requested_by, progress=progress
                )
        except FinessFileError as error:
            job_fail(run, error.message, final=True)
            return
        except Exception:
            logger.exception("Import FINESS %s : échec technique", run.pk)
            job_fail(run, TECHNICAL_FAILURE, final=False)
            return
        _store_result(run, result.as_dict())


def _store_result(run: FinessImportRun, summary: dict) -> None:
    with transaction.atomic():
        run.result = summary
        job_finish(
            run,
            step=f"Terminé : {summary['read']} lignes lues, {summary['rejected']} rejetées",
            save_fields=("result",),
        )
