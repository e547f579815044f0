""" "Historique" pages (core/history.py, members/history.py): who changed what, scoped like the object."""

from decimal import Decimal

import pghistory
import pytest
from bs4 import BeautifulSoup
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.enums import Role
from core.enums import JournalAction
from core.history import display_value
from core.journal import journal_record
from members.finess.importer import finess_import
from members.models import Establishment, Groupement, Membership, MembershipTerms, Region
from tests.accounts.factories import UserFactory
from tests.members.factories import (
    GroupementFactory,
    MembershipFactory,
    MembershipTermsFactory,
)


pytestmark = pytest.mark.django_db

ET23 = "etalab-cs1100507-stock-20210108-0427_dep23_reconstructed.csv"
EJ23 = "etalab_stock_ej_20201231_dep23.csv"


def rows(response):
    soup = BeautifulSoup(response.content, "html.parser")
    return [" ".join(tr.get_text(" ", strip=True).split()) for tr in soup.select("table.history-table tbody tr")]


@pytest.fixture
def groupement():
    return GroupementFactory(name="GTSMS Creuse Nord", slug="creuse-nord", seat_city="Guéret")


@pytest.fixture
def director(user_with_role, groupement):
    return user_with_role(Role.GROUPEMENT_DIRECTOR, groupement, first_name="Anne", last_name="Martin")


def rename(groupement, name, user):
    with pghistory.context(user=user.pk):
        Groupement.objects.filter(pk=groupement.pk).update(name=name)


class TestGroupementHistory:
    def url(self, groupement):
        return reverse("members:groupement_history", args=[groupement.slug])

    def test_who_when_which_field_old_and_new_with_journal_events_interleaved(self, client, groupement, director):
        rename(groupement, "GTSMS Creuse", director)
        journal_record(action=JournalAction.MEMBER_ADMITTED, groupement=groupement, actor=director, target=groupement)
        journal_record(action=JournalAction.ARS_READ, groupement=groupement, actor=director)  # a read: not shown
        with pghistory.context(user=director.pk):
            Groupement.objects.filter(pk=groupement.pk).update(seat_city="Aubusson")
        client.force_login(director)
        lines = [line for line in rows(client.get(self.url(groupement))) if "Rôle attribué" not in line]
        assert len(lines) == 4  # creation, rename, admission, seat; the ARS read is not a change
        # One test transaction: its row events share its start time (PostgreSQL now()), newest id first;
        # the journal entry, written later, comes before them.
        assert "Anne Martin Membre admis" in lines[0]
        assert "Anne Martin Modification — groupement commune du siège : Guéret → Aubusson" in lines[1]
        assert "Anne Martin Modification — groupement nom : GTSMS Creuse Nord → GTSMS Creuse" in lines[2]
        assert "Création — groupement" in lines[3] and "nom : — → GTSMS Creuse Nord" in lines[3]

    def test_paginated(self, client, groupement, director):
        for index in range(30):
            rename(groupement, f"GTSMS {index:02d}", director)
        client.force_login(director)
        first = client.get(self.url(groupement))
        assert len(rows(first)) == 25
        # 30 renames, the creation and the director's role grant
        assert "32 lignes d'historique — page 1 sur 2" in " ".join(first.content.decode().split())
        second = rows(client.get(self.url(groupement), {"page": 2}))
        assert len(second) == 7 and "Création — groupement" in second[-1]

    def test_query_count_does_not_grow_with_events(self, client, groupement, director, django_assert_num_queries):
        client.force_login(director)
        url = self.url(groupement)
        client.get(url)  # the first request of a session writes its activity stamp
        with CaptureQueriesContext(connection) as captured:
            client.get(url)
        for index in range(40):
            rename(groupement, f"GTSMS {index:02d}", director)
            journal_record(action=JournalAction.DOCUMENT_REQUESTED, groupement=groupement, actor=UserFactory())
        with django_assert_num_queries(len(captured)):
            response = client.get(url)
        assert len(rows(response)) == 25

    def test_scoped_like_the_dashboard(self, client, groupement, user_with_role):
        other = GroupementFactory(slug="ailleurs")
        cases = [
            (user_with_role(Role.GROUPEMENT_DIRECTOR, other), 403),
            (user_with_role(Role.ARS_REVIEWER, Region.objects.get(code="75")), None),
            (UserFactory(), 403),
        ]
        for user, expected in cases:
            client.force_login(user)
            dashboard = client.get(reverse("members:groupement_dashboard", args=[groupement.slug])).status_code
            history = client.get(self.url(groupement)).status_code
            assert history == dashboard
            if expected is not None:
                assert history == expected

    def test_the_dashboard_links_to_it(self, client, groupement, director):
        client.force_login(director)
        page = client.get(reverse("members:groupement_dashboard", args=[groupement.slug])).content.decode()
        assert f'href="{self.url(groupement)}"' in page


class TestMemberAndEstablishmentHistory:
    @pytest.fixture
    def membership(self, groupement):
        membership = MembershipFactory(groupement=groupement)
        MembershipTermsFactory(membership=membership, voting_rights=Decimal("3"), contribution_share=Decimal("7.5"))
        return membership

    def test_membership_and_its_terms(self, client, groupement, director, membership):
        with pghistory.context(user=director.pk):
            MembershipTerms.objects.filter(membership=membership).update(voting_rights=Decimal("5"))
            Membership.objects.filter(pk=membership.pk).update(admission_act="Délibération n° 2026-04")
        journal_record(
            action=JournalAction.MEMBERSHIP_TERMS_CHANGED, groupement=groupement, actor=director, target=membership
        )
        client.force_login(director)
        url = reverse("members:member_history", args=[groupement.slug, membership.pk])
        lines = rows(client.get(url))
        assert "Conditions d'adhésion modifiées" in lines[0]
        assert any("acte d'admission : Convention constitutive → Délibération n° 2026-04" in line for line in lines)
        assert any("droits de vote : 3,00 → 5,00" in line for line in lines)
        detail = client.get(reverse("members:member_detail", args=[groupement.slug, membership.pk]))
        assert f'href="{url}"' in detail.content.decode()

    def test_another_groupement_member_is_not_found(self, client, director, groupement):
        foreign = MembershipFactory(groupement=GroupementFactory(slug="autre"))
        client.force_login(director)
        response = client.get(reverse("members:member_history", args=[groupement.slug, foreign.pk]))
        assert response.status_code == 404

    def test_establishment_history_from_real_finess_imports(
        self, client, director, groupement, finess_dir, tmp_path, settings
    ):
        finess_import([finess_dir / EJ23, finess_dir / ET23])
        establishment = Establishment.objects.get(finess="230000028")
        membership = MembershipFactory(groupement=groupement, legal_entity=establishment.legal_entity)
        lines = (finess_dir / ET23).read_text(encoding="cp1252").splitlines(keepends=True)
        kept = [line for line in lines[1:] if ";230000028;" not in line]
        trimmed = tmp_path / "et23.csv"
        trimmed.write_text("finess;etalab;262;2021-02-01\n" + "".join(kept), encoding="cp1252")
        finess_import([trimmed])
        client.force_login(director)
        url = reverse("members:establishment_history", args=[groupement.slug, membership.pk, establishment.pk])
        lines = rows(client.get(url))
        assert "import FINESS Modification — établissement" in lines[0]
        assert "fermé : non → oui" in lines[0]
        assert "fermé le : — → 1er février 2021" in lines[0]
        assert "Création — établissement" in lines[-1]
        stranger = Establishment.objects.exclude(legal_entity=membership.legal_entity).first()
        foreign = reverse("members:establishment_history", args=[groupement.slug, membership.pk, stranger.pk])
        assert client.get(foreign).status_code == 404


def test_values_read_in_french():
    from members.models import Establishment as Model

    fields = {f.name: f for f in Model._meta.concrete_fields}
    assert display_value(fields["closed"], True) == "oui"
    assert display_value(fields["closed_on"], "2021-02-01") != "2021-02-01"
    assert display_value(fields["name"], "") == "—"
    assert display_value(fields["eligibility"], "MANDATORY") != "MANDATORY"
    assert display_value(fields["departement"], "23").startswith("département")
