"""The one place that sends e-mail: invitations, password resets, convocations, documents ready…

A room calls ``mail_send`` inside its service: the French text and HTML parts are rendered from
``templates/mail/<template>.txt`` and ``.html`` (both extend ``mail/base.*``), stored in a ``MailJob``
row, and the worker sends them once the transaction commits (``core.tasks.mail_deliver_task``),
retrying on SMTP failure with a growing delay. Each delivery is journaled (``MAIL_SENT``) with the
groupement it belongs to. Nothing talks to an SMTP server inside a request.

Where mail goes is the ``MAILERS`` setting (docs/settings.md): a file per message under ``var/mail/``
for ``make run``, an SMTP relay in production.
"""

import datetime
import enum
import logging
import smtplib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from core.enums import JobStatus, JournalAction
from core.journal import journal_record
from core.models import MailJob


logger = logging.getLogger(__name__)


class Outcome(enum.StrEnum):
    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"
    SKIPPED = "skipped"


def mail_subject(subject: str, groupement=None) -> str:
    """``[GTSMS de la Creuse] Invitation…``: the groupement's name first, else the platform's."""
    prefix = groupement.name if groupement is not None else settings.MAIL_SUBJECT_PREFIX
    return f"[{prefix}] {subject}"


def mail_send(
    *,
    to: str,
    template: str,
    subject: str,
    context: dict | None = None,
    groupement=None,
    kind: str | None = None,
    actor=None,
) -> MailJob:
    """Ask for one e-mail to ``to``: rendered now, sent by the worker after the caller's transaction commits.

    ``template`` names ``mail/<template>.txt`` and ``mail/<template>.html``; they receive ``context``
    plus ``subject``, ``groupement`` and ``site_url``.
    """
    full_subject = mail_subject(subject, groupement)
    values = {
        **(context or {}),
        "subject": subject,
        "groupement": groupement,
        "site_url": settings.SITE_URL.rstrip("/"),
    }
    job = MailJob(
        kind=kind or template,
        to=to,
        subject=full_subject[:300],
        text_body=render_to_string(f"mail/{template}.txt", values),
        html_body=render_to_string(f"mail/{template}.html", values),
        groupement=groupement,
        max_attempts=settings.MAIL_MAX_ATTEMPTS,
        requested_by=actor if (actor is not None and actor.is_authenticated) else None,
        enqueued_at=timezone.now(),
    )
    job.full_clean()
    job.save()
    _enqueue_on_commit(job.pk)
    return job


def _enqueue_on_commit(job_id: int) -> None:
    from core.tasks import mail_deliver_task

    transaction.on_commit(lambda: _enqueue(mail_deliver_task, job_id))


def _enqueue(task, job_id: int) -> None:
    """Send the task to the broker; a dead broker leaves the row PENDING for the sweep to send again."""
    try:
        task.delay(job_id)
    except Exception:  # kombu raises several kinds of connection errors
        logger.warning("Courriel %s : le broker ne répond pas, le balayage le renverra.", job_id, exc_info=True)


def retry_delay(attempts: int) -> int:
    """Seconds before the next attempt: ``MAIL_RETRY_DELAY`` doubled at each attempt, capped."""
    return min(settings.MAIL_RETRY_DELAY * 2 ** max(attempts - 1, 0), settings.MAIL_RETRY_DELAY_MAX)


def mail_deliver(job_id: int) -> Outcome:
    """Send one ``MailJob`` (the worker's side). Idempotent: a mail already sent or given up is skipped."""
    with transaction.atomic():
        job = MailJob.objects.select_for_update(of=("self",)).filter(pk=job_id).first()
        if job is None or job.status in (JobStatus.DONE, JobStatus.FAILED):
            return Outcome.SKIPPED
        job.attempts += 1
        job.status = JobStatus.RUNNING
        job.started_at = job.started_at or timezone.now()
        message = EmailMultiAlternatives(
            subject=job.subject,
            body=job.text_body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[job.to],
            headers={"Auto-Submitted": "auto-generated"},
        )
        message.attach_alternative(job.html_body, "text/html")
        try:
            message.send()
        except (smtplib.SMTPException, OSError) as error:
            job.error = f"Envoi impossible ({type(error).__name__}) : {error}"[:1000]
            if job.attempts >= job.max_attempts:
                job.status = JobStatus.FAILED
                job.finished_at = timezone.now()
                job.save()
                journal_record(
                    action=JournalAction.MAIL_FAILED,
                    groupement=job.groupement_id,
                    target=job,
                    facts={"kind": job.kind, "to": job.to, "attempts": job.attempts, "error": job.error},
                )
                return Outcome.FAILED
            job.status = JobStatus.PENDING
            job.save()
            return Outcome.RETRY
        job.status = JobStatus.DONE
        job.progress = 100
        job.error = ""
        job.sent_at = job.finished_at = timezone.now()
        job.text_body = job.html_body = ""  # a single-use link must not outlive its delivery
        job.save()
        journal_record(
            action=JournalAction.MAIL_SENT,
            groupement=job.groupement_id,
            target=job,
            facts={"kind": job.kind, "to": job.to, "attempts": job.attempts},
        )
        return Outcome.SENT


def mail_sweep(*, send=None) -> int:
    """Send again the mails still PENDING after ``MAIL_SWEEP_PENDING_AFTER`` (a dead broker, a lost task)."""
    from core.tasks import mail_deliver_task

    send = send or mail_deliver_task.delay
    limit = timezone.now() - datetime.timedelta(seconds=settings.MAIL_SWEEP_PENDING_AFTER)
    ids = list(
        MailJob.objects.filter(status=JobStatus.PENDING, enqueued_at__lt=limit).values_list("pk", flat=True)[:500]
    )
    if ids:
        MailJob.objects.filter(pk__in=ids).update(enqueued_at=timezone.now())
    for job_id in ids:
        send(job_id)
    return len(ids)
