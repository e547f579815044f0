import datetime

import pytest
from django.template.loader import render_to_string
from django.urls import resolve, reverse

from accounts.enums import Role
from core.enums import JobStatus, JournalAction
from core.models import JournalEntry
from documents.enums import DocumentStatus
from documents.models import GenerationJob
from tests.documents.factories import DocumentFactory, GenerationJobFactory
from tests.members.factories import EstablishmentFactory, GroupementFactory, MembershipFactory


pytestmark = pytest.mark.django_db


def list_url(groupement):
    return reverse("documents:document_list", kwargs={"slug": groupement.slug})


def request_url(groupement):
    return reverse("documents:document_request", kwargs={"slug": groupement.slug})


def job_url(groupement, job):
    return reverse("documents:job_detail", kwargs={"slug": groupement.slug, "pk": job.pk})


def download_url(document):
    return reverse("documents:document_download", kwargs={"slug": document.groupement.slug, "pk": document.pk})


def finalise_url(document):
    return reverse("documents:document_finalise", kwargs={"slug": document.groupement.slug, "pk": document.pk})


@pytest.fixture
def groupement(make_groupement):
    return make_groupement(members=2)


class TestPermissions:
    def test_staff_may_request_and_is_sent_to_the_job_page(self, client, groupement, staff):
        client.force_login(staff(groupement))
        response = client.post(request_url(groupement), {"demande-kind": "members_list", "demande-year": ""})
        job = GenerationJob.objects.get()
        assert response.status_code == 302 and response["Location"] == job_url(groupement, job)
        assert job.requested_by is not None and job.final is False

    def test_staff_cannot_ask_for_a_final_document(self, client, groupement, staff):
        client.force_login(staff(groupement))
        response = client.get(request_url(groupement))
        assert "demande-final" not in response.content.decode()
        client.post(request_url(groupement), {"demande-kind": "members_list", "demande-final": "on"})
        assert GenerationJob.objects.get().final is False

    def test_director_may_ask_for_a_final_document(self, client, groupement, director):
        client.force_login(director(groupement))
        client.post(request_url(groupement), {"demande-kind": "members_register", "demande-final": "on"})
        assert GenerationJob.objects.get().final is True

    def test_an_unknown_kind_is_a_form_error(self, client, groupement, staff):
        client.force_login(staff(groupement))
        response = client.post(request_url(groupement), {"demande-kind": "cpom"})
        assert response.status_code == 200 and not GenerationJob.objects.exists()
        assert "Sélectionnez un choix valide" in response.content.decode()

    def test_a_director_of_another_groupement_establishment_is_refused(self, client, groupement, user_with_role):
        other = MembershipFactory(groupement=GroupementFactory())
        establishment = EstablishmentFactory(legal_entity=other.legal_entity)
        client.force_login(user_with_role(Role.ESTABLISHMENT_DIRECTOR, establishment))
        document = DocumentFactory(job=GenerationJobFactory(groupement=groupement))
        for url in (list_url(groupement), request_url(groupement), job_url(groupement, document.job)):
            assert client.get(url).status_code == 403, url
        assert client.get(download_url(document)).status_code == 403
        assert client.post(request_url(groupement), {"demande-kind": "members_list"}).status_code == 403
        assert client.post(finalise_url(document)).status_code == 403
        assert not GenerationJob.objects.exclude(pk=document.job.pk).exists()

    def test_staff_of_another_groupement_is_refused(self, client, groupement, staff):
        client.force_login(staff(GroupementFactory()))
        document = DocumentFactory(job=GenerationJobFactory(groupement=groupement))
        assert client.get(list_url(groupement)).status_code == 403
        assert client.get(download_url(document)).status_code == 403

    def test_a_document_of_another_groupement_is_not_found_through_mine(self, client, groupement, staff):
        client.force_login(staff(groupement))
        foreign = DocumentFactory()
        url = reverse("documents:document_download", kwargs={"slug": groupement.slug, "pk": foreign.pk})
        assert client.get(url).status_code == 404
        url = reverse("documents:job_detail", kwargs={"slug": groupement.slug, "pk": foreign.job.pk})
        assert client.get(url).status_code == 404

    def test_staff_cannot_finalise(self, client, groupement, staff):
        client.force_login(staff(groupement))
        document = DocumentFactory(job=GenerationJobFactory(groupement=groupement))
        assert client.post(finalise_url(document)).status_code == 403

    def test_ars_reviewer_cannot_write(self, client, groupement, user_with_role):
        from members.models import Region

        client.force_login(user_with_role(Role.ARS_REVIEWER, Region.objects.get(code="75")))
        assert client.post(request_url(groupement), {"demande-kind": "members_list"}).status_code == 403


class TestList:
    @pytest.mark.parametrize("count", [1, 30])
    def test_query_count_does_not_grow_with_the_documents(
        self, client, groupement, director, count, django_assert_num_queries
    ):
        user = director(groupement)
        for _ in range(count):
            DocumentFactory(job=GenerationJobFactory(groupement=groupement, requested_by=user), generated_by=user)
        GenerationJobFactory(groupement=groupement, status=JobStatus.FAILED, error="Échec de test")
        client.force_login(user)
        # session and user 2, groupement 1, permissions 2 (one checker per request), count + page 2,
        # unfinished jobs 1, navigation roles 1: 9 queries; plus the request's savepoint pair 2 and the
        # first request's session write 3 (savepoint, update, release).
        with django_assert_num_queries(14):
            response = client.get(list_url(groupement))
        assert response.status_code == 200
        assert response.content.decode().count('class="button button-secondary">Finaliser') == min(count, 20)

    def test_newest_first_filters_and_pagination(self, client, groupement, director):
        old = DocumentFactory(
            job=GenerationJobFactory(groupement=groupement),
            generated_at=datetime.datetime(2026, 1, 5, tzinfo=datetime.UTC),
            title="Ancien document",
        )
        new = DocumentFactory(
            job=GenerationJobFactory(groupement=groupement, kind="members_register"),
            format="pdf",
            status=DocumentStatus.FINAL,
            title="Registre récent",
        )
        client.force_login(director(groupement))
        html = client.get(list_url(groupement)).content.decode()
        assert html.index("Registre récent") < html.index("Ancien document")
        html = client.get(list_url(groupement), {"status": "FINAL"}).content.decode()
        assert "Registre récent" in html and "Ancien document" not in html
        html = client.get(list_url(groupement), {"kind": "members_list"}).content.decode()
        assert "Ancien document" in html and "Registre récent" not in html
        for _ in range(25):
            DocumentFactory(job=GenerationJobFactory(groupement=groupement))
        html = client.get(list_url(groupement), {"page": 2}).content.decode()
        assert "page 2 sur 2" in html and "Ancien document" in html
        assert new and old

    def test_the_request_form_offers_the_kinds_of_the_groupement(self, client, groupement, staff):
        client.force_login(staff(groupement))
        html = client.get(list_url(groupement)).content.decode()
        assert 'value="members_register"' in html and 'value="members_list"' in html


class TestJobPage:
    def test_progress_is_polled_until_done_then_the_download_link_appears(self, client, groupement, staff):
        client.force_login(staff(groupement))
        job = GenerationJobFactory(groupement=groupement, status=JobStatus.RUNNING, progress=40, step="Mise en page")
        html = client.get(job_url(groupement, job)).content.decode()
        assert 'role="progressbar"' in html and 'aria-live="polite"' in html
        assert f'hx-get="{job_url(groupement, job)}"' in html and "Mise en page (40 %)" in html
        document = DocumentFactory(job=job)
        GenerationJob.objects.filter(pk=job.pk).update(status=JobStatus.DONE, progress=100)
        response = client.get(job_url(groupement, job), headers={"HX-Request": "true"})
        fragment = response.content.decode()
        assert "<html" not in fragment and "hx-get" not in fragment
        assert download_url(document) in fragment and "Terminé." in fragment

    def test_a_failed_job_shows_its_message(self, client, groupement, staff):
        client.force_login(staff(groupement))
        job = GenerationJobFactory(groupement=groupement, status=JobStatus.FAILED, error="Règle : impossible.")
        html = client.get(job_url(groupement, job)).content.decode()
        assert "Échec : Règle : impossible." in html and "hx-get" not in html

    @pytest.mark.parametrize("count", [1, 3])
    def test_query_count(self, client, groupement, staff, count, django_assert_num_queries):
        client.force_login(staff(groupement))
        job = DocumentFactory(job=GenerationJobFactory(groupement=groupement)).job
        for _ in range(count - 1):
            DocumentFactory(job=GenerationJobFactory(groupement=groupement))
        with django_assert_num_queries(12):
            client.get(job_url(groupement, job))


class TestDownload:
    def test_streams_the_file_as_an_attachment_with_a_safe_name_and_journals_it(self, client, groupement, staff):
        user = staff(groupement)
        client.force_login(user)
        document = DocumentFactory(job=GenerationJobFactory(groupement=groupement, year=2026), year=2026, version=3)
        response = client.get(download_url(document))
        assert response.status_code == 200 and response.streaming
        assert b"".join(response.streaming_content).startswith(b"PK fichier de test")
        expected = f"liste-des-membres-tableur-{groupement.slug}-2026-v3-projet.xlsx"
        assert response["Content-Disposition"] == f'attachment; filename="{expected}"'
        assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        entry = JournalEntry.objects.get(action=JournalAction.DOCUMENT_DOWNLOADED)
        assert entry.actor == user and entry.target_id == str(document.pk)

    def test_an_altered_file_is_not_sent(self, client, groupement, staff):
        client.force_login(staff(groupement))
        document = DocumentFactory(job=GenerationJobFactory(groupement=groupement))
        with open(document.file.path, "ab") as handle:
            handle.write(b"altered")
        response = client.get(download_url(document))
        assert response.status_code == 409
        assert "altéré" in response.content.decode()
        assert not JournalEntry.objects.filter(action=JournalAction.DOCUMENT_DOWNLOADED).exists()


class TestFinaliseView:
    def test_director_finalises_a_draft_through_a_job(self, client, groupement, director):
        client.force_login(director(groupement))
        document = DocumentFactory(job=GenerationJobFactory(groupement=groupement))
        response = client.post(finalise_url(document))
        job = GenerationJob.objects.get(finalises=document)
        assert response.status_code == 302 and response["Location"] == job_url(groupement, job)

    def test_a_final_document_cannot_be_finalised_again(self, client, groupement, director):
        client.force_login(director(groupement))
        document = DocumentFactory(job=GenerationJobFactory(groupement=groupement), status=DocumentStatus.FINAL)
        response = client.post(finalise_url(document), follow=True)
        assert "déjà définitif" in response.content.decode()
        assert not GenerationJob.objects.filter(finalises=document).exists()


def test_the_nav_item_points_to_the_documents(rf, groupement):
    request = rf.get(list_url(groupement))
    request.resolver_match = resolve(list_url(groupement))
    html = render_to_string("documents/includes/nav_item.html", {"groupement": groupement, "request": request})
    assert f'href="{list_url(groupement)}" aria-current="page"' in html
