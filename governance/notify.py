"""The convocation e-mail, behind ONE function, so that the lead can point it at ``core.mail`` at merge.

``core/mail.py`` (the one e-mail service of the People issue) was not on main when governance was
written: this thin adapter enqueues a Celery task when the transaction commits; the task sends through
Django's e-mail framework from the worker.
"""

from django.db import transaction

from governance import tasks


def convocation_notify(meeting, actor) -> None:
    """E-mail the convocation of ``meeting`` to each member's representative, from the worker, on commit."""
    meeting_id = meeting.pk
    transaction.on_commit(lambda: tasks.governance_convocation_send.delay(meeting_id))
