from celery import shared_task

from governance.mailing import convocation_emails_send


@shared_task(acks_late=True)
def governance_convocation_send(meeting_id: int) -> None:
    """E-mail a meeting's convocation to the members' representatives (thin: the work is in ``mailing``)."""
    convocation_emails_send(meeting_id)
