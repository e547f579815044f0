"""Password reset by e-mail: Django's views, our French pages, the mail sent by the worker to a real
SMTP server; the same answer for any address; a single-use link valid one hour; the lockout holds."""

import datetime
import html
import re

import pytest
import time_machine

from accounts.enums import Role
from core.enums import JournalAction
from core.models import JournalEntry, MailJob
from tests.members.factories import GroupementFactory


pytestmark = pytest.mark.django_db

FORGOT = "/comptes/mot-de-passe/oubli/"
LOGIN = "/comptes/connexion/"
LINK = re.compile(r"http://127\.0\.0\.1:8000(/comptes/mot-de-passe/nouveau/[^/\s]+/[^/\s]+/)")
NEW = "une-toute-nouvelle-phrase-secrete"


@pytest.fixture
def staff(user_with_role):
    return user_with_role(Role.GROUPEMENT_STAFF, GroupementFactory(), email="marie.dupont@exemple.fr")


def ask(client, capture, email):
    with capture(execute=True):
        return client.post(FORGOT, {"email": email})


def reset_link(smtp_server) -> str:
    return LINK.search(smtp_server.received[-1].text).group(1)


def test_the_login_page_links_to_the_reset(client):
    assert FORGOT in client.get(LOGIN).content.decode()


def test_the_worker_mails_a_french_link(client, smtp_server, django_capture_on_commit_callbacks, staff):
    response = ask(client, django_capture_on_commit_callbacks, "Marie.Dupont@exemple.fr")
    assert response.status_code == 302 and response["Location"] == "/comptes/mot-de-passe/oubli/envoye/"
    [received] = smtp_server.received
    assert received.rcpt_tos == [staff.email]
    assert received.subject == "[gtsms] Réinitialisation de votre mot de passe"
    assert "valable 60 minutes" in received.text and reset_link(smtp_server) in received.html
    assert JournalEntry.objects.filter(action=JournalAction.PASSWORD_RESET_REQUESTED).count() == 1


def test_the_link_is_built_on_the_site_url_not_on_the_request_host(
    client, smtp_server, django_capture_on_commit_callbacks, staff, settings
):
    settings.ALLOWED_HOSTS = ["*"]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(FORGOT, {"email": staff.email}, HTTP_HOST="pirate.example")
    assert "pirate.example" not in smtp_server.received[0].text
    assert reset_link(smtp_server)


def test_the_answer_is_the_same_for_an_unknown_address(client, smtp_server, django_capture_on_commit_callbacks, staff):
    known = ask(client, django_capture_on_commit_callbacks, staff.email)
    unknown = ask(client, django_capture_on_commit_callbacks, "personne@exemple.fr")
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert len(smtp_server.received) == 1
    assert MailJob.objects.count() == 1
    done = client.get(known["Location"])
    assert "Si un compte correspond à cette adresse" in html.unescape(done.content.decode())


def test_a_new_password_from_the_link_works_once(client, smtp_server, django_capture_on_commit_callbacks, staff):
    ask(client, django_capture_on_commit_callbacks, staff.email)
    link = reset_link(smtp_server)
    form_page = client.get(link, follow=True)
    assert "Choisir un nouveau mot de passe" in form_page.content.decode()
    set_url = form_page.redirect_chain[-1][0]
    done = client.post(set_url, {"new_password1": NEW, "new_password2": NEW})
    assert done.status_code == 302 and done["Location"] == "/comptes/mot-de-passe/nouveau/fait/"
    staff.refresh_from_db()
    assert staff.check_password(NEW)
    assert JournalEntry.objects.filter(action=JournalAction.PASSWORD_CHANGED, target_id=str(staff.pk)).count() == 1
    again = client.get(link, follow=True)
    assert "Ce lien ne peut pas être utilisé" in again.content.decode()


def test_the_link_expires_after_an_hour(client, smtp_server, django_capture_on_commit_callbacks, staff):
    with time_machine.travel(datetime.datetime(2026, 11, 23, 9, 0, tzinfo=datetime.UTC), tick=False) as clock:
        ask(client, django_capture_on_commit_callbacks, staff.email)
        clock.shift(datetime.timedelta(minutes=59))
        assert "Choisir un nouveau mot de passe" in client.get(reset_link(smtp_server), follow=True).content.decode()
        clock.shift(datetime.timedelta(minutes=2))
        response = client.get(reset_link(smtp_server), follow=True)
    assert "Ce lien ne peut pas être utilisé" in response.content.decode()


def test_a_weak_new_password_is_refused(client, smtp_server, django_capture_on_commit_callbacks, staff, password):
    ask(client, django_capture_on_commit_callbacks, staff.email)
    set_url = client.get(reset_link(smtp_server), follow=True).redirect_chain[-1][0]
    response = client.post(set_url, {"new_password1": "123456789012", "new_password2": "123456789012"})
    assert response.status_code == 200 and 'aria-invalid="true"' in response.content.decode()
    staff.refresh_from_db()
    assert staff.check_password(password)


def test_a_reset_does_not_lift_the_lockout(client, smtp_server, django_capture_on_commit_callbacks, staff):
    with time_machine.travel(datetime.datetime(2026, 11, 23, 9, 0, tzinfo=datetime.UTC), tick=False):
        for _ in range(10):
            client.post(LOGIN, {"username": staff.email, "password": "mauvais-mot-de-passe-123"})
        ask(client, django_capture_on_commit_callbacks, staff.email)
        set_url = client.get(reset_link(smtp_server), follow=True).redirect_chain[-1][0]
        client.post(set_url, {"new_password1": NEW, "new_password2": NEW})
        assert client.post(LOGIN, {"username": staff.email, "password": NEW}).status_code == 429
