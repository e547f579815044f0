"""core.mail: one place sends e-mail, from the worker, to a real SMTP server on loopback."""

import datetime

import pytest
from django.core import mail as django_mail

from core import mail
from core.enums import JobStatus, JournalAction
from core.models import JournalEntry, MailJob
from tests.members.factories import GroupementFactory


pytestmark = pytest.mark.django_db

NOTICE = {
    "lines": ["Le registre des membres est prêt.", "Élodie Fèvre l'a demandé."],
    "link_url": "http://127.0.0.1:8000/d/1",
    "link_label": "Ouvrir le document",
}


def send(groupement=None, to="marie.dupont@exemple.fr"):
    return mail.mail_send(to=to, template="notice", subject="Document prêt", context=NOTICE, groupement=groupement)


class TestMailSend:
    def test_nothing_leaves_before_the_transaction_commits(self, smtp_server, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            job = send()
        assert smtp_server.received == []
        assert job.status == JobStatus.PENDING
        assert len(callbacks) == 1

    def test_the_worker_sends_french_text_and_html_with_the_groupement_in_the_subject(
        self, smtp_server, django_capture_on_commit_callbacks
    ):
        groupement = GroupementFactory(name="GTSMS de la Creuse")
        with django_capture_on_commit_callbacks(execute=True):
            job = send(groupement)
        [received] = smtp_server.received
        assert received.rcpt_tos == ["marie.dupont@exemple.fr"]
        assert received.subject == "[GTSMS de la Creuse] Document prêt"
        assert "Le registre des membres est prêt." in received.text
        assert "Ouvrir le document : http://127.0.0.1:8000/d/1" in received.text
        assert '<html lang="fr">' in received.html
        assert "Élodie Fèvre l&#x27;a demandé." in received.html or "Élodie Fèvre l&#39;a demandé." in received.html
        assert received.message["Auto-Submitted"] == "auto-generated"
        job.refresh_from_db()
        assert job.status == JobStatus.DONE and job.attempts == 1 and job.sent_at is not None
        assert job.text_body == job.html_body == ""  # the link does not outlive its delivery
        entry = JournalEntry.objects.get(action=JournalAction.MAIL_SENT)
        assert entry.groupement_id == groupement.pk
        assert entry.facts == {"kind": "notice", "to": "marie.dupont@exemple.fr", "attempts": 1}

    def test_without_a_groupement_the_platform_name_heads_the_subject(
        self, smtp_server, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            send()
        assert smtp_server.received[0].subject == "[gtsms] Document prêt"
        assert JournalEntry.objects.get(action=JournalAction.MAIL_SENT).groupement_id is None

    def test_a_temporary_refusal_is_retried_and_the_mail_arrives_once(
        self, smtp_server, django_capture_on_commit_callbacks
    ):
        smtp_server.handler.refuse = 2
        with django_capture_on_commit_callbacks(execute=True):
            job = send()
        job.refresh_from_db()
        assert len(smtp_server.received) == 1
        assert job.status == JobStatus.DONE and job.attempts == 3

    def test_a_server_that_never_answers_gives_up_after_the_last_attempt(
        self, settings, django_capture_on_commit_callbacks
    ):
        from tests.smtp import free_port

        settings.MAILERS = {
            "default": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {"host": "127.0.0.1", "port": free_port(), "timeout": 2},
            }
        }
        with django_capture_on_commit_callbacks(execute=True):
            job = send()
        job.refresh_from_db()
        assert job.status == JobStatus.FAILED and job.attempts == settings.MAIL_MAX_ATTEMPTS
        assert "Envoi impossible" in job.error
        assert JournalEntry.objects.filter(action=JournalAction.MAIL_FAILED).count() == 1
        assert not JournalEntry.objects.filter(action=JournalAction.MAIL_SENT).exists()

    def test_delivering_twice_sends_once(self, smtp_server, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            job = send()
        assert mail.mail_deliver(job.pk) == mail.Outcome.SKIPPED
        assert len(smtp_server.received) == 1

    def test_the_sweep_sends_again_a_mail_the_broker_lost(self, smtp_server):
        job = send()  # never committed here: its task was never sent
        MailJob.objects.filter(pk=job.pk).update(enqueued_at=job.enqueued_at - datetime.timedelta(hours=1))
        assert mail.mail_sweep() == 1
        assert len(smtp_server.received) == 1
        assert mail.mail_sweep() == 0


def test_the_locmem_outbox_of_other_tests_stays_empty_without_a_commit():
    send()
    assert django_mail.outbox == []


@pytest.mark.parametrize(("attempts", "delay"), [(1, 60), (2, 120), (3, 240), (4, 480), (5, 600), (9, 600)])
def test_retry_delay_doubles_up_to_the_cap(attempts, delay):
    assert mail.retry_delay(attempts) == delay
