"""The progress of a background job, in a real browser: htmx (served from static/, under our CSP)
polls the job page until the job ends, then shows the download link and announces it once."""

import pytest

from accounts.enums import Role
from core.enums import JobStatus
from documents.models import GenerationJob
from tests.documents.factories import DocumentFactory, GenerationJobFactory
from tests.members.factories import GroupementFactory


pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_job_page_follows_the_job_until_its_download_link(
    reference_data, live_server, page, user_with_role, password
):
    groupement = GroupementFactory()
    staff = user_with_role(Role.GROUPEMENT_STAFF, groupement)
    job = GenerationJobFactory(groupement=groupement, status=JobStatus.RUNNING, progress=40, step="Mise en page")
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)

    page.goto(f"{live_server.url}/comptes/connexion/")
    page.get_by_label("Adresse électronique").fill(staff.email)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    page.goto(f"{live_server.url}/groupement/{groupement.slug}/documents/taches/{job.pk}/")
    assert "Mise en page (40 %)" in page.locator(f"#job-{job.pk}").inner_text()

    GenerationJob.objects.filter(pk=job.pk).update(progress=80, step="Enregistrement")
    page.wait_for_function(f"document.querySelector('#job-{job.pk}').innerText.includes('80 %')", timeout=5000)

    document = DocumentFactory(job=job)
    GenerationJob.objects.filter(pk=job.pk).update(status=JobStatus.DONE, progress=100)
    page.get_by_role("link", name=f"Télécharger « {document.title} »").wait_for(timeout=5000)
    assert page.locator(f"#job-{job.pk}").get_attribute("hx-get") is None  # polling has stopped
    assert "Terminé." in page.locator(f"#job-{job.pk}-annonce").inner_text()
    assert [e for e in errors if "Content Security Policy" in e and "script" in e] == []
