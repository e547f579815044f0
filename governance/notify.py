"""The convocation e-mail, behind ONE function, so that the lead can point it at ``core.mail`` at merge.

``core/mail.py`` (the one e-mail service of the People issue) was not on main when governance was
written: this thin adapter enqueues a Celery task when the transaction commits; the task sends through
Django's e-mail framework from the worker.
"""

import logging

from django.db import transaction

from governance import tasks


logger = logging.getLogger(__name__)


def convocation_notify(meeting, actor) -> None:
    """E-mail the convocation of ``meeting`` to each member's representative, from the worker, on commit.

    A broker failure never undoes the convocation (it is recorded, its PDF job is swept later): it is
    logged. Unlike document jobs, no sweep re-sends the e-mail; ``core.mail`` should own that retry.
    """
    meeting_id = meeting.pk

    def send() -> None:
        try:
            tasks.governance_convocation_send.delay(meeting_id)
        except Exception:  # broker unreachable
            logger.warning(
                "Courriels de convocation non mis en file pour la séance %s (courtier injoignable)", meeting_id
            )

    transaction.on_commit(send)
