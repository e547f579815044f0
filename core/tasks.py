"""Celery tasks of the platform: thin wrappers over ``core.mail`` (ids in, nothing out)."""

from celery import shared_task

from core import mail
from core.models import MailJob


@shared_task(bind=True, name="core.mail_deliver", acks_late=True, reject_on_worker_lost=True, max_retries=None)
def mail_deliver_task(self, job_id: int) -> str:
    """Send one e-mail; on an SMTP failure, try again later while its row allows it."""
    outcome = mail.mail_deliver(job_id)
    if outcome == mail.Outcome.RETRY:
        attempts = MailJob.objects.values_list("attempts", flat=True).get(pk=job_id)
        raise self.retry(countdown=mail.retry_delay(attempts))
    return str(outcome)


@shared_task(name="core.mail_sweep", acks_late=False)
def mail_sweep_task() -> int:
    """Send again the e-mails lost by a dead broker or worker (beat, every five minutes)."""
    return mail.mail_sweep()
