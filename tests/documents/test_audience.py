"""Who reads which document (issue 9 §4): the groupement's staff, the directors of its members, the
readers of its territory (final documents only); each document's subject shown as a link."""

import datetime

import pytest
from django.urls import reverse

from accounts.enums import Role
from core.enums import JobStatus, JournalAction
from core.models import JournalEntry
from documents import registry
from documents.audience import audiences_for, can_read_document
from documents.enums import DocumentStatus
from documents.registry import Audience
from members.enums import LeaveReason, MembershipCategory
from members.models import Departement, Establishment, Region
from tests.documents import kinds as test_kinds
from tests.documents.factories import DocumentFactory, GenerationJobFactory
from tests.members.factories import EstablishmentFactory, LegalEntityFactory, MembershipFactory


pytestmark = pytest.mark.django_db


def list_url(groupement):
    return reverse("documents:document_list", kwargs={"slug": groupement.slug})


def download_url(document, groupement=None):
    slug = (groupement or document.groupement).slug
    return reverse("documents:document_download", kwargs={"slug": slug, "pk": document.pk})


def job_url(job):
    return reverse("documents:job_detail", kwargs={"slug": job.groupement.slug, "pk": job.pk})


def download_status(client, url) -> int:
    """GET a download and read it to the end (which closes the streamed file)."""
    response = client.get(url)
    if response.status_code == 200:
        assert b"".join(response.streaming_content).startswith(b"PK fichier")
    return response.status_code


def make_document(groupement, kind, status=DocumentStatus.DRAFT, subject_key=None, **fields):
    job = GenerationJobFactory(
        groupement=groupement, kind=kind, subject_key=subject_key or f"groupement:{groupement.pk}"
    )
    return DocumentFactory(job=job, status=status, title=f"{registry.title_of(kind)} — {groupement.name}", **fields)


@pytest.fixture
def groupement(make_groupement):
    return make_groupement(members=2)


@pytest.fixture
def other_groupement(make_groupement):
    return make_groupement(members=1)


@pytest.fixture
def member_director(user_with_role):
    """The director of an establishment of a current member of ``groupement``."""

    def make(groupement):
        establishment = Establishment.objects.filter(legal_entity__memberships__groupement=groupement).first()
        return user_with_role(Role.ESTABLISHMENT_DIRECTOR, establishment)

    return make


@pytest.fixture
def ars_reviewer(user_with_role):
    return user_with_role(Role.ARS_REVIEWER, Region.objects.get(code="75"))


class TestRegistry:
    def test_staff_always_reads_and_the_subject_is_declared(self):
        spec = registry.get("test_for_members")
        assert spec.audience == {Audience.STAFF, Audience.MEMBERS}
        assert spec.subject is registry.SUBJECT_GROUPEMENT and spec.requestable and not spec.takes_year
        assert registry.get("members_register").audience == {Audience.STAFF, Audience.READERS}
        assert registry.get("members_list").audience == {Audience.STAFF}
        assert registry.get("test_about_member").requestable is False

    def test_a_model_label_must_be_app_dot_model(self):
        with pytest.raises(ValueError, match="app_label"):
            registry.ObjectSubject(model="Membership", resolve=test_kinds.membership_resolve)

    def test_a_kind_code_is_checked_against_the_registry(self, groupement):
        from django.core.exceptions import ValidationError

        job = GenerationJobFactory.build(groupement=groupement, kind="cpom", subject_key="groupement:1")
        with pytest.raises(ValidationError) as error:
            job.full_clean(exclude=["requested_by", "finalises"])
        assert "n'est déclaré par aucune partie" in str(error.value)

    def test_an_object_subject_is_resolved_to_its_label_and_url(self, groupement):
        membership = groupement.memberships.order_by("pk").first()
        subject = registry.get("test_about_member").resolve_subject(groupement, f"members.membership:{membership.pk}")
        assert subject.obj == membership and subject.label == f"Adhésion de {membership.legal_entity.name}"
        assert subject.url == reverse("members:member_detail", args=[groupement.slug, membership.pk])
        gone = registry.get("test_about_member").resolve_subject(groupement, "members.membership:999999")
        assert gone.label == "objet supprimé" and gone.url == "" and gone.obj is None


class TestAudiences:
    def test_who_belongs_to_which_audience(self, groupement, other_groupement, staff, member_director, user_with_role):
        from core.perms import checker_for

        assert audiences_for(checker_for(staff(groupement)), groupement) == {Audience.STAFF}
        director = member_director(groupement)
        assert audiences_for(checker_for(director), groupement) == {Audience.MEMBERS}
        assert audiences_for(checker_for(director), other_groupement) == frozenset()
        reader = user_with_role(Role.DEPARTEMENT_READER, Departement.objects.get(code="23"))
        assert audiences_for(checker_for(reader), groupement) == {Audience.READERS}
        elsewhere = user_with_role(Role.DEPARTEMENT_READER, Departement.objects.get(code="48"))
        assert audiences_for(checker_for(elsewhere), groupement) == frozenset()
        occitanie = user_with_role(Role.ARS_REVIEWER, Region.objects.get(code="76"))
        assert audiences_for(checker_for(occitanie), groupement) == frozenset()

    def test_a_partner_or_a_member_that_left_is_not_a_member_director(self, groupement, user_with_role):
        from core.perms import checker_for

        partner = MembershipFactory(groupement=groupement, category=MembershipCategory.PARTNER)
        left = MembershipFactory(
            groupement=groupement,
            admitted_on=datetime.date(2026, 1, 1),
            left_on=datetime.date(2026, 3, 1),
            leave_reason=LeaveReason.WITHDRAWAL,
            leave_act="Délibération n° 2026-03",
        )
        for membership in (partner, left):
            establishment = EstablishmentFactory(legal_entity=membership.legal_entity)
            user = user_with_role(Role.ESTABLISHMENT_DIRECTOR, establishment)
            assert audiences_for(checker_for(user), groupement) == frozenset()

    def test_the_predicate(self, groupement, member_director, ars_reviewer):
        from core.perms import checker_for

        director, reader = checker_for(member_director(groupement)), checker_for(ars_reviewer)
        for_members = make_document(groupement, "test_for_members")
        staff_only = make_document(groupement, "members_list", DocumentStatus.FINAL)
        draft = make_document(groupement, "test_for_everyone")
        final = make_document(groupement, "test_for_everyone", DocumentStatus.FINAL)
        assert can_read_document(director, for_members) and can_read_document(director, draft)
        assert not can_read_document(director, staff_only)
        assert can_read_document(reader, final)
        assert not can_read_document(reader, draft) and not can_read_document(reader, for_members)
        assert not can_read_document(reader, staff_only)
        assert can_read_document(reader.user, final) and not can_read_document(reader.user, draft)


class TestMemberDirector:
    def test_reads_a_member_document_of_his_groupement_and_not_a_staff_only_one(
        self, client, groupement, member_director
    ):
        user = member_director(groupement)
        client.force_login(user)
        for_members = make_document(groupement, "test_for_members")
        staff_only = make_document(groupement, "members_list")
        response = client.get(download_url(for_members))
        assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"PK fichier")
        entry = JournalEntry.objects.get(action=JournalAction.DOCUMENT_DOWNLOADED)
        assert entry.actor == user and entry.groupement_id == groupement.pk
        assert client.get(download_url(staff_only)).status_code == 403
        html = client.get(list_url(groupement)).content.decode()
        assert download_url(for_members) in html and download_url(staff_only) not in html
        assert "Rubriques du groupement" not in html and "Demander un document" not in html

    def test_is_refused_any_document_of_another_groupement(
        self, client, groupement, other_groupement, member_director
    ):
        client.force_login(member_director(groupement))
        foreign = make_document(other_groupement, "test_for_members")
        assert client.get(download_url(foreign)).status_code == 403
        assert client.get(list_url(other_groupement)).status_code == 403
        assert client.get(job_url(foreign.job)).status_code == 403
        assert client.get(download_url(foreign, groupement)).status_code == 404
        assert not JournalEntry.objects.filter(action=JournalAction.DOCUMENT_DOWNLOADED).exists()

    def test_sees_the_job_of_a_member_document_but_not_a_pending_one(self, client, groupement, member_director):
        client.force_login(member_director(groupement))
        done = make_document(groupement, "test_for_members")
        assert client.get(job_url(done.job)).status_code == 200
        pending = GenerationJobFactory(groupement=groupement, kind="test_for_members", status=JobStatus.PENDING)
        assert client.get(job_url(pending)).status_code == 403

    def test_cannot_request_or_finalise(self, client, groupement, member_director):
        client.force_login(member_director(groupement))
        document = make_document(groupement, "test_for_members")
        assert client.get(reverse("documents:document_request", args=[groupement.slug])).status_code == 403
        assert (
            client.post(reverse("documents:document_finalise", args=[groupement.slug, document.pk])).status_code == 403
        )

    def test_the_portal_lists_the_member_documents_of_his_groupements(
        self, client, groupement, other_groupement, member_director
    ):
        client.force_login(member_director(groupement))
        for_members = make_document(groupement, "test_for_members")
        staff_only = make_document(groupement, "members_list")
        foreign = make_document(other_groupement, "test_for_members")
        html = client.get(reverse("members:portal")).content.decode()
        assert "Documents du groupement" in html and download_url(for_members) in html
        assert download_url(staff_only) not in html and download_url(foreign) not in html
        assert f'href="{list_url(groupement)}"' in html

    def test_no_documents_section_without_a_groupement(self, client, user_with_role):
        establishment = EstablishmentFactory(legal_entity=LegalEntityFactory())
        client.force_login(user_with_role(Role.ESTABLISHMENT_DIRECTOR, establishment))
        assert "Documents du groupement" not in client.get(reverse("members:portal")).content.decode()


class TestReaders:
    def test_a_reader_sees_only_final_documents_of_his_scope(
        self, client, groupement, other_groupement, ars_reviewer, user_with_role
    ):
        client.force_login(ars_reviewer)
        final = make_document(groupement, "test_for_everyone", DocumentStatus.FINAL)
        register = make_document(groupement, "members_register", DocumentStatus.FINAL, format="pdf")
        draft = make_document(groupement, "test_for_everyone")
        staff_only = make_document(groupement, "members_list", DocumentStatus.FINAL)
        members_only = make_document(groupement, "test_for_members", DocumentStatus.FINAL)
        response = client.get(list_url(groupement))
        html = response.content.decode()
        assert response.status_code == 200 and "lecture seule" in html
        assert download_url(final) in html and download_url(register) in html
        for hidden in (draft, staff_only, members_only):
            assert download_url(hidden) not in html
            assert client.get(download_url(hidden)).status_code == 403
        assert download_status(client, download_url(final)) == 200
        entry = JournalEntry.objects.get(action=JournalAction.DOCUMENT_DOWNLOADED)
        assert entry.actor == ars_reviewer and entry.groupement_id == groupement.pk
        assert entry.facts["document"] == final.pk

    def test_a_reader_outside_the_territory_is_refused(self, client, groupement, user_with_role):
        final = make_document(groupement, "test_for_everyone", DocumentStatus.FINAL)
        client.force_login(user_with_role(Role.ARS_REVIEWER, Region.objects.get(code="76")))
        assert client.get(list_url(groupement)).status_code == 403
        assert client.get(download_url(final)).status_code == 403

    def test_a_departement_reader_reads_the_finals_of_a_groupement_of_his_departement(
        self, client, groupement, user_with_role
    ):
        final = make_document(groupement, "test_for_everyone", DocumentStatus.FINAL)
        client.force_login(user_with_role(Role.DEPARTEMENT_READER, Departement.objects.get(code="23")))
        assert download_status(client, download_url(final)) == 200

    def test_the_ars_home_links_to_the_documents(self, client, groupement, ars_reviewer):
        client.force_login(ars_reviewer)
        html = client.get(reverse("compliance:ars_home")).content.decode()
        assert f'href="{list_url(groupement)}"' in html


class TestSubjectLinks:
    def test_the_staff_list_links_each_subject(self, client, groupement, staff):
        client.force_login(staff(groupement))
        membership = groupement.memberships.order_by("pk").first()
        make_document(groupement, "test_about_member", subject_key=f"members.membership:{membership.pk}")
        make_document(groupement, "members_list", subject_key="year:2025")
        html = client.get(list_url(groupement)).content.decode()
        member_url = reverse("members:member_detail", args=[groupement.slug, membership.pk])
        assert f'<a href="{member_url}">Adhésion de {membership.legal_entity.name}</a>' in html
        dashboard = reverse("members:groupement_dashboard", args=[groupement.slug])
        assert f'<a href="{dashboard}">{groupement.name}, année 2025</a>' in html

    def test_other_audiences_read_the_subject_without_a_link(self, client, groupement, member_director):
        client.force_login(member_director(groupement))
        membership = groupement.memberships.order_by("pk").first()
        make_document(groupement, "test_about_member", subject_key=f"members.membership:{membership.pk}")
        html = client.get(list_url(groupement)).content.decode()
        assert f"<td>Adhésion de {membership.legal_entity.name}</td>" in html


class TestRequestForm:
    def test_offers_only_requestable_kinds(self, client, groupement, staff):
        client.force_login(staff(groupement))
        html = client.get(reverse("documents:document_request", args=[groupement.slug])).content.decode()
        assert 'value="members_register"' in html and 'value="test_for_members"' in html
        assert 'value="test_about_member"' not in html

    def test_a_year_for_a_kind_without_one_is_an_error_on_the_year(self, client, groupement, staff):
        from documents.models import GenerationJob

        client.force_login(staff(groupement))
        url = reverse("documents:document_request", args=[groupement.slug])
        response = client.post(url, {"demande-kind": "test_for_members", "demande-year": "2025"})
        assert response.status_code == 200 and not GenerationJob.objects.exists()
        assert response.context["form"].errors["year"] == [
            "Ce document ne porte pas sur une année : laissez le champ « Année » vide."
        ]
        response = client.post(url, {"demande-kind": "test_about_member"})
        assert "Sélectionnez un choix valide" in response.content.decode()


class TestQueryCounts:
    """Every list reads its rows, their subjects and the user's audiences in a fixed number of queries."""

    def fill(self, groupement, count):
        memberships = list(groupement.memberships.order_by("pk"))
        for index in range(count):
            membership = memberships[index % len(memberships)]
            make_document(groupement, "test_about_member", subject_key=f"members.membership:{membership.pk}")
            make_document(groupement, "test_for_everyone", DocumentStatus.FINAL, subject_key=f"year:{2000 + index}")

    def warm(self, client, url):
        assert client.get(url).status_code == 200  # the first request writes the session

    @pytest.mark.parametrize("count", [1, 30])
    def test_staff_list(self, client, groupement, staff, count, django_assert_num_queries):
        client.force_login(staff(groupement))
        self.fill(groupement, count)
        self.warm(client, list_url(groupement))
        # session and user 2, savepoint pair 2, groupement 1, staff right 2, count + page 2, the page's
        # memberships 1 (subjects, one query for all rows), unfinished jobs 1, navigation roles 1.
        with django_assert_num_queries(12):
            assert client.get(list_url(groupement)).status_code == 200

    @pytest.mark.parametrize("count", [1, 30])
    def test_member_director_list(self, client, groupement, member_director, count, django_assert_num_queries):
        client.force_login(member_director(groupement))
        self.fill(groupement, count)
        self.warm(client, list_url(groupement))
        # As the staff's, without the unfinished jobs, plus the member and reader audiences 2.
        with django_assert_num_queries(13):
            assert client.get(list_url(groupement)).status_code == 200

    @pytest.mark.parametrize("count", [1, 30])
    def test_reader_list(self, client, groupement, ars_reviewer, count, django_assert_num_queries):
        client.force_login(ars_reviewer)
        self.fill(groupement, count)
        self.warm(client, list_url(groupement))
        # As the member director's, without the memberships: the readers see no draft about one.
        with django_assert_num_queries(12):
            assert client.get(list_url(groupement)).status_code == 200

    @pytest.mark.parametrize("count", [1, 30])
    def test_portal(self, client, groupement, member_director, count, django_assert_num_queries):
        client.force_login(member_director(groupement))
        self.fill(groupement, count)
        url = reverse("members:portal")
        self.warm(client, url)
        # session and user 2, savepoint pair 2, establishments + memberships + terms 3 (the cards),
        # documents 1, their memberships 1 (subjects), navigation roles 1, the groupements' links 1;
        # pooled functions section (functions room): current memberships 1, subscriptions 1;
        # governance section: the member's convocations 1 (none yet).
        with django_assert_num_queries(14):
            response = client.get(url)
        assert response.status_code == 200
        assert response.content.decode().count("Télécharger<span") == min(2 * count, 50)
