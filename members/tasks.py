"""Celery tasks of members: thin wrappers over services (ids in, nothing out)."""

import datetime

from celery import shared_task

from core.jobs import job_sweep
from members.finess import execution
from members.models import FinessImportRun


# A national extract imports in about a minute; the limits leave room for a busy worker and stay
# below the broker's visibility timeout (900 s by default in settings).
@shared_task(name="members.finess_import", acks_late=True, soft_time_limit=600, time_limit=660)
def members_finess_import(run_id: int) -> None:
    """Import the FINESS files of one FinessImportRun (members.finess.execution.finess_import_run_execute)."""
    execution.finess_import_run_execute(run_id=run_id)


@shared_task(name="members.finess_import_sweep", acks_late=False)
def members_finess_import_sweep() -> int:
    """Send again the FINESS imports lost by the broker or by a dead worker (to schedule with beat)."""
    # Runs are leased (core.jobs.job_lease), so a RUNNING run whose worker died is sent again too.
    stale = datetime.timedelta(minutes=15)
    return job_sweep(FinessImportRun, members_finess_import.delay, older_than=stale, running_older_than=stale)
