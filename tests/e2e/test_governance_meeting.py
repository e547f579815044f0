"""One whole assemblée générale in a real browser: convocation e-mail, attendance with a proxy, votes,
closing, outcome on the page, minutes finalised."""

import pytest
from django.core import mail

from accounts.enums import Role
from documents.enums import DocumentStatus
from documents.models import Document
from documents.services import document_finalise
from governance import services
from tests.governance.factories import at, groupement_with_members
from tests.members.factories import EstablishmentFactory


pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_whole_meeting_from_convocation_email_to_final_minutes(
    reference_data, live_server, page, axe_violations, user_with_role, password, monkeypatch
):
    from gtsms.celery import app as celery_app

    # Documents and e-mails run in-process here, whatever an earlier chaos test left in the Celery app.
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)
    groupement, members = groupement_with_members()
    director = user_with_role(Role.GROUPEMENT_DIRECTOR, groupement)
    establishment = EstablishmentFactory(legal_entity=members[0].legal_entity)
    user_with_role(Role.ESTABLISHMENT_DIRECTOR, establishment, email="direction.ehpad@example.fr")
    meeting = services.meeting_create(groupement=groupement, scheduled_at=at(-1), place="Guéret")
    services.deliberation_add(meeting=meeting, kind="BUDGET", title="Budget 2027")
    mail.outbox.clear()
    services.meeting_convene(meeting=meeting, sent_at=at(-20))
    assert [m.to for m in mail.outbox] == [["direction.ehpad@example.fr"]]
    assert "Budget 2027" in mail.outbox[0].body

    page.goto(f"{live_server.url}/")
    page.get_by_label("Adresse électronique").fill(director.email)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()
    page.goto(f"{live_server.url}/groupement/{groupement.slug}/gouvernance/seances/{meeting.pk}/")
    names = [m.legal_entity.name for m in members]
    for name in names[:3]:
        page.get_by_label(f"Présence de {name}").select_option("PRESENT")
    page.get_by_label(f"Présence de {names[3]}").select_option("REPRESENTED")
    page.get_by_label(f"Mandataire de {names[3]}").select_option(label=names[0])
    page.get_by_role("button", name="Enregistrer les présences").click()
    page.wait_for_load_state()
    assert "Présences enregistrées." in page.locator("main").inner_text()
    page.get_by_label("Contre").nth(1).check()
    page.get_by_role("button", name="Enregistrer les votes et calculer le résultat").click()
    page.wait_for_load_state()
    assert axe_violations(page) == []
    page.get_by_role("button", name="Clore la séance").click()
    page.wait_for_load_state()
    body = page.locator("main").inner_text()
    assert "adoptée : 70 voix sur 100" in body and "figée" in body

    minutes = Document.objects.get(kind="minutes", groupement=groupement)
    document_finalise(document=minutes, actor=director)
    minutes.refresh_from_db()
    assert minutes.status == DocumentStatus.FINAL
