"""The Django admin writes groupements and dérogations through the services, which journal them."""

import pytest
from django.urls import reverse

from accounts.enums import Role
from core.enums import JournalAction
from core.models import JournalEntry
from members.enums import DerogationGround, GroupementKind, GroupementStatus
from members.models import Derogation, Groupement
from tests.members.factories import GroupementFactory, LegalEntityFactory


pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user(user_with_role):
    return user_with_role(Role.PLATFORM_ADMIN)


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def groupement_form(**kwargs):
    data = {
        "kind": GroupementKind.GTSMS,
        "name": "GTSMS de la Haute-Vienne",
        "slug": "gtsms-haute-vienne",
        "finess_ej": "",
        "siren": "",
        "seat_address": "1 place de la Mairie",
        "seat_postal_code": "87000",
        "seat_city": "Limoges",
        "region": "75",
        "departements": ["87"],
        "status": GroupementStatus.CONSTITUTING,
        "convention_transmitted_on": "",
        "publication_reference": "",
        "published_on": "",
        "dissolved_on": "",
    }
    data.update(kwargs)
    return data


class TestGroupementAdmin:
    def test_adding_a_groupement_goes_through_the_service_and_is_journaled(self, admin_client, admin_user):
        response = admin_client.post(reverse("admin:members_groupement_add"), groupement_form())
        assert response.status_code == 302, response.content.decode()[:2000]
        groupement = Groupement.objects.get(slug="gtsms-haute-vienne")
        assert list(groupement.departements.values_list("code", flat=True)) == ["87"]
        entry = JournalEntry.objects.get(action=JournalAction.GROUPEMENT_CREATED)
        assert (entry.groupement, entry.actor, entry.target) == (groupement, admin_user, groupement)

    def test_changing_a_groupement_journals_the_changed_fields(self, admin_client):
        groupement = GroupementFactory(name="Ancien", slug="gtsms-ancien", departements=["23"])
        form = groupement_form(name="Nouveau", slug="gtsms-ancien", departements=["23", "87"], seat_city="Guéret")
        form.update(status=groupement.status, seat_address="", seat_postal_code="")
        response = admin_client.post(reverse("admin:members_groupement_change", args=[groupement.pk]), form)
        assert response.status_code == 302, response.content.decode()[:2000]
        groupement.refresh_from_db()
        assert groupement.name == "Nouveau"
        entry = JournalEntry.objects.get(action=JournalAction.GROUPEMENT_UPDATED)
        assert entry.groupement == groupement
        assert entry.facts["changes"]["name"] == ["Ancien", "Nouveau"]
        assert entry.facts["changes"]["departements"] == [["23"], ["23", "87"]]

    def test_a_refused_publication_is_shown_in_french_and_nothing_is_written(self, admin_client):
        form = groupement_form(published_on="2026-04-01")
        response = admin_client.post(reverse("admin:members_groupement_add"), form)
        assert response.status_code == 200
        assert "transmission au DG ARS" in response.content.decode()
        assert not Groupement.objects.filter(slug="gtsms-haute-vienne").exists()
        assert not JournalEntry.objects.filter(action=JournalAction.GROUPEMENT_CREATED).exists()

    def test_a_groupement_cannot_be_deleted_from_the_admin(self, admin_client):
        groupement = GroupementFactory()
        response = admin_client.get(reverse("admin:members_groupement_delete", args=[groupement.pk]))
        assert response.status_code == 403


class TestDerogationAdmin:
    def test_recording_a_derogation_goes_through_the_service_and_is_journaled(self, admin_client, admin_user):
        entity = LegalEntityFactory()
        data = {
            "legal_entity": entity.pk,
            "ground": DerogationGround.MERGER,
            "received_on": "2026-09-01",
            "pcd_referred_on": "",
            "pcd_opinion": "",
            "pcd_opinion_on": "",
            "decision": "",
            "decision_on": "",
            "reference": "LRAR 1A 123",
        }
        response = admin_client.post(reverse("admin:members_derogation_add"), data)
        assert response.status_code == 302, response.content.decode()[:2000]
        derogation = Derogation.objects.get(legal_entity=entity)
        entry = JournalEntry.objects.get(action=JournalAction.DEROGATION_RECORDED)
        assert (entry.actor, entry.target, entry.groupement) == (admin_user, derogation, None)
        assert entry.facts["reference"] == "LRAR 1A 123"
