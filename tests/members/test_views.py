import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse

from accounts.enums import Role
from core.enums import JournalAction
from core.models import JournalEntry
from documents.models import GenerationJob
from members.enums import EligibilityCategory, LeaveReason, MembershipCategory
from members.models import Departement, Membership, MembershipTerms, Region
from tests.documents import kinds as _document_kinds  # noqa: F401 (a kind for members: the portal reads its documents)
from tests.members.factories import (
    EstablishmentFactory,
    GroupementFactory,
    LegalEntityFactory,
    MembershipFactory,
    MembershipTermsFactory,
)


pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture(autouse=True)
def today(time_machine):
    time_machine.move_to(datetime.datetime(2026, 11, 23, 10, tzinfo=ZoneInfo("Europe/Paris")), tick=False)


@pytest.fixture
def groupement():
    return GroupementFactory(name="GTSMS Creuse Nord", slug="creuse-nord")


@pytest.fixture
def director(user_with_role, groupement):
    return user_with_role(Role.GROUPEMENT_DIRECTOR, groupement)


@pytest.fixture
def director_client(client, director):
    client.force_login(director)
    return client


def add_member(groupement, *, establishments=1, departement="23", **kwargs):
    membership = MembershipFactory(groupement=groupement, **kwargs)
    MembershipTermsFactory(membership=membership, voting_rights=Decimal("3"), contribution_share=Decimal("7.5"))
    for _ in range(establishments):
        EstablishmentFactory(
            legal_entity=membership.legal_entity, departement=Departement.objects.get(code=departement)
        )
    return membership


def warm_up(client, url):
    """A first request stores the session's activity stamps, so the measured one reads only what it shows."""
    client.get(url)


def soup(response):
    return BeautifulSoup(response.content.decode(), "html.parser")


def table_rows(response, selector="#members-table tbody tr"):
    return [" ".join(row.get_text(" ", strip=True).split()) for row in soup(response).select(selector)]


def errors(response):
    return " ".join(soup(response).select_one(".form-errors").get_text(" ", strip=True).split())


class TestMemberList:
    def url(self, groupement, **params):
        url = reverse("members:member_list", args=[groupement.slug])
        return url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")

    def test_lists_current_members_with_their_terms(self, director_client, groupement):
        membership = add_member(groupement, establishments=2)
        response = director_client.get(self.url(groupement))

        assert response.status_code == 200
        (row,) = table_rows(response)
        assert membership.legal_entity.name in row
        assert membership.legal_entity.finess in row
        assert "Membre obligatoire" in row
        assert "1er janvier 2026" in row
        assert "7,50" in row  # the share in force
        html = soup(response)
        assert html.select_one("#members-table tbody td.num").get_text() == "2"
        assert html.find("a", string="Admettre une entité juridique")
        assert html.find("button", string="Exporter (XLSX)")

    @pytest.mark.parametrize("count", [1, 30])
    def test_query_count_does_not_grow_with_members(
        self, director_client, groupement, django_assert_num_queries, count
    ):
        for _ in range(count):
            add_member(groupement, establishments=2)
        warm_up(director_client, self.url(groupement))
        # session, user, history context (2), roles (navigation), groupement, its permissions (user, groups),
        # départements filter, page count, page rows
        with django_assert_num_queries(11):
            response = director_client.get(self.url(groupement))
        assert len(table_rows(response)) == min(count, 25)

    def test_paginates_by_25_and_keeps_the_filters(self, director_client, groupement):
        for _ in range(27):
            add_member(groupement)
        response = director_client.get(self.url(groupement, sort="finess", page=2))
        assert len(table_rows(response)) == 2
        previous = soup(response).select_one(".pagination a")
        assert "sort=finess" in previous["href"]
        assert "page=1" in previous["href"]

    def test_an_unknown_page_or_filter_is_not_an_error(self, director_client, groupement):
        add_member(groupement)
        response = director_client.get(self.url(groupement, page="abc", status="nope", sort="drop", category="X"))
        assert response.status_code == 200
        assert len(table_rows(response)) == 1

    def test_filters_by_status(self, director_client, groupement):
        current = add_member(groupement)
        left = add_member(groupement, admitted_on=D(2025, 1, 1), withdrawn=True)
        left.left_on = D(2026, 1, 1)
        left.save()

        assert current.legal_entity.name in " ".join(table_rows(director_client.get(self.url(groupement))))
        assert left.legal_entity.name not in " ".join(table_rows(director_client.get(self.url(groupement))))
        (row,) = table_rows(director_client.get(self.url(groupement, status="left")))
        assert left.legal_entity.name in row
        assert "retrait" in row
        assert len(table_rows(director_client.get(self.url(groupement, status="all")))) == 2

    def test_filters_by_category_and_departement(self, director_client, groupement):
        mandatory = add_member(groupement, departement="23")
        partner = add_member(groupement, departement="87", partner=True)

        rows = table_rows(director_client.get(self.url(groupement, category="PARTNER")))
        assert [partner.legal_entity.name in row for row in rows] == [True]
        rows = table_rows(director_client.get(self.url(groupement, departement="23")))
        assert [mandatory.legal_entity.name in row for row in rows] == [True]

    @pytest.mark.parametrize(
        ("sort", "expected"),
        [("name", ["A", "B", "C"]), ("admitted", ["C", "A", "B"]), ("finess", ["B", "C", "A"])],
    )
    def test_sorts(self, director_client, groupement, sort, expected):
        for name, finess, admitted in [("B", "230000011", 2024), ("A", "230000037", 2025), ("C", "230000029", 2026)]:
            add_member(
                groupement,
                legal_entity=LegalEntityFactory(name=name, finess=finess),
                admitted_on=D(admitted, 1, 1),
            )
        rows = table_rows(director_client.get(self.url(groupement, sort=sort)))
        assert [row.split()[0] for row in rows] == expected

    def test_staff_without_document_rights_sees_no_export(self, client, user_with_role, groupement):
        # GROUPEMENT_STAFF can manage members and generate documents; an ARS reader cannot even open the page.
        client.force_login(user_with_role(Role.GROUPEMENT_STAFF, groupement))
        response = client.get(self.url(groupement))
        assert response.status_code == 200
        assert soup(response).find("button", string="Exporter (XLSX)")

    def test_a_director_of_another_groupement_is_refused(self, client, user_with_role, groupement):
        client.force_login(user_with_role(Role.GROUPEMENT_DIRECTOR, GroupementFactory()))
        assert client.get(self.url(groupement)).status_code == 403

    def test_an_establishment_director_is_refused(self, client, user_with_role, groupement):
        membership = add_member(groupement)
        establishment = membership.legal_entity.establishments.get()
        client.force_login(user_with_role(Role.ESTABLISHMENT_DIRECTOR, establishment))
        assert client.get(self.url(groupement)).status_code == 403
        assert client.get(reverse("members:groupement_dashboard", args=[groupement.slug])).status_code == 403

    def test_an_ars_reviewer_is_refused(self, client, user_with_role, groupement):
        client.force_login(user_with_role(Role.ARS_REVIEWER, Region.objects.get(code="75")))
        assert client.get(self.url(groupement)).status_code == 403

    def test_an_unknown_groupement_is_not_found(self, director_client):
        assert director_client.get("/groupement/inconnu/membres/").status_code == 404


class TestMemberDetail:
    def url(self, membership):
        return reverse("members:member_detail", args=[membership.groupement.slug, membership.pk])

    def test_shows_identity_sites_history_and_a_placeholder(self, director_client, groupement):
        entity = LegalEntityFactory(name="EHPAD LES GENETS", siren="123456782", statut_label="ESMS communal")
        old = MembershipFactory(
            groupement=groupement,
            legal_entity=entity,
            admitted_on=D(2024, 1, 1),
            left_on=D(2025, 1, 1),
            leave_reason=LeaveReason.WITHDRAWAL,
            leave_act="Lettre du 12 juin 2024",
        )
        MembershipTermsFactory(membership=old, valid_from=D(2024, 1, 1), act="Convention constitutive")
        membership = add_member(groupement, legal_entity=entity, admitted_on=D(2026, 1, 1))
        MembershipTermsFactory(membership=membership, valid_from=D(2026, 7, 1), act="Délibération budgétaire")

        response = director_client.get(self.url(membership))

        assert response.status_code == 200
        text = " ".join(soup(response).get_text(" ", strip=True).split())
        assert "123456782" in text
        assert "ESMS communal" in text
        assert "Lettre du 12 juin 2024" in text
        assert "Délibération budgétaire" in text
        assert "Fonctions mutualisées" in text
        assert "À venir" in text
        assert len(soup(response).select("#historique ~ article, section article.panel")) == 2
        site = membership.legal_entity.establishments.get()
        assert site.finess in text

    def test_shows_the_eligibility_of_each_site(self, director_client, groupement):
        membership = add_member(groupement)
        response = director_client.get(self.url(membership))
        cells = soup(response).select("#sites ~ table tbody td")
        assert cells[-1].get_text(strip=True).startswith(EligibilityCategory.MANDATORY.label)

    @pytest.mark.parametrize("count", [1, 30])
    def test_query_count_does_not_grow_with_sites_or_periods(
        self, director_client, groupement, django_assert_num_queries, count
    ):
        entity = LegalEntityFactory()
        for year in range(count):
            period = MembershipFactory(
                groupement=groupement,
                legal_entity=entity,
                admitted_on=D(1990 + year, 1, 1),
                left_on=D(1990 + year, 6, 1),
                leave_reason=LeaveReason.WITHDRAWAL,
                leave_act="Lettre",
            )
            MembershipTermsFactory(membership=period)
        membership = add_member(groupement, legal_entity=entity, establishments=count)
        warm_up(director_client, self.url(membership))
        # session, user, history context (2), roles, groupement, its permissions (user, groups), membership,
        # sites, periods, their terms
        with django_assert_num_queries(12):
            response = director_client.get(self.url(membership))
        assert response.status_code == 200

    def test_manage_actions_are_offered_to_a_current_member_only(self, director_client, groupement):
        current = add_member(groupement)
        left = add_member(groupement, withdrawn=True)
        left.left_on = D(2026, 6, 1)
        left.save()

        links = {a.get_text(strip=True) for a in soup(director_client.get(self.url(current))).select(".actions a")}
        assert links == {
            "Modifier les droits et la contribution",
            "Enregistrer un retrait",
            "Enregistrer une exclusion",
        }
        assert not soup(director_client.get(self.url(left))).select(".actions a")

    def test_a_member_of_another_groupement_is_not_found_here(self, director_client, groupement):
        other = add_member(GroupementFactory())
        url = reverse("members:member_detail", args=[groupement.slug, other.pk])
        assert director_client.get(url).status_code == 404

    def test_a_director_of_another_groupement_is_refused(self, client, user_with_role, groupement):
        membership = add_member(groupement)
        client.force_login(user_with_role(Role.GROUPEMENT_DIRECTOR, GroupementFactory()))
        assert client.get(self.url(membership)).status_code == 403


def post_ok(client, url, data):
    response = client.post(url, data)
    assert response.status_code == 302, errors(response) if response.status_code == 200 else response.status_code
    return response


class TestMemberAdmit:
    def url(self, groupement, query=""):
        return reverse("members:member_admit", args=[groupement.slug]) + query

    def data(self, entity, **overrides):
        data = {
            "legal_entity": entity.finess,
            "category": MembershipCategory.OPTIONAL,
            "admitted_on": "2026-11-01",
            "act": "Délibération de l'AG n° 2026-11 du 20 octobre 2026, adoptée à l'unanimité",
            "voting_rights": "4",
            "contribution_share": "12,5",
        }
        data.update(overrides)
        return data

    def test_searches_legal_entities_by_finess_or_name(self, director_client, groupement):
        entity = LegalEntityFactory(name="EHPAD DU BOURG")
        other = add_member(GroupementFactory(name="GTSMS Voisin"))
        rows = table_rows(
            director_client.get(self.url(groupement, "?q=bourg")), "section[aria-labelledby=recherche] table tbody tr"
        )
        assert len(rows) == 1
        assert entity.finess in rows[0]
        rows = table_rows(
            director_client.get(self.url(groupement, f"?q={other.legal_entity.finess}")),
            "section[aria-labelledby=recherche] table tbody tr",
        )
        assert "GTSMS Voisin" in rows[0]

    def test_choosing_a_result_prefills_the_finess(self, director_client, groupement):
        entity = LegalEntityFactory()
        response = director_client.get(self.url(groupement, f"?finess={entity.finess}"))
        assert soup(response).select_one("input[name=legal_entity]")["value"] == entity.finess

    def test_admits_and_redirects_to_the_member_page(self, director_client, director, groupement):
        entity = LegalEntityFactory()
        response = post_ok(director_client, self.url(groupement), self.data(entity, legal_entity=f" {entity.finess} "))

        membership = Membership.objects.get(legal_entity=entity)
        assert response["Location"] == reverse("members:member_detail", args=[groupement.slug, membership.pk])
        assert membership.terms.get().contribution_share == Decimal("12.5")
        entry = JournalEntry.objects.get(action=JournalAction.MEMBER_ADMITTED)
        assert entry.actor == director
        page = director_client.get(response["Location"])
        assert "est admise au groupement à compter du 1er novembre 2026" in page.content.decode()

    def test_an_unknown_finess_is_a_form_error(self, director_client, groupement):
        response = director_client.post(self.url(groupement), self.data(LegalEntityFactory.build(finess="999999999")))
        assert response.status_code == 200
        assert "Aucune entité juridique connue ne porte ce numéro FINESS" in response.content.decode()
        assert not Membership.objects.exists()

    def test_bad_dates_and_numbers_are_form_errors_in_french(self, director_client, groupement):
        response = director_client.post(
            self.url(groupement),
            self.data(LegalEntityFactory(), admitted_on="31/02/2026", voting_rights="beaucoup"),
        )
        assert response.status_code == 200
        text = response.content.decode()
        assert "Saisissez une date valide" in text
        assert "Saisissez un nombre" in text
        assert "Corrigez les champs signalés" in errors(response)

    def test_a_business_rule_is_shown_on_the_form(self, director_client, groupement):
        response = director_client.post(self.url(groupement), self.data(LegalEntityFactory(private=True)))
        assert response.status_code == 200
        assert "seulement partenaire par convention" in errors(response)
        assert not Membership.objects.exists()

    def test_a_member_of_another_gtsms_is_refused_with_its_name(self, director_client, groupement):
        other = add_member(GroupementFactory(name="GTSMS Voisin"))
        response = director_client.post(self.url(groupement), self.data(other.legal_entity))
        assert "« GTSMS Voisin »" in errors(response)

    def test_users_without_the_permission_are_refused(self, client, user_with_role, groupement):
        membership = add_member(groupement)
        establishment_director = user_with_role(
            Role.ESTABLISHMENT_DIRECTOR, membership.legal_entity.establishments.get()
        )
        other_director = user_with_role(Role.GROUPEMENT_DIRECTOR, GroupementFactory())
        for user in (establishment_director, other_director):
            client.force_login(user)
            assert client.get(self.url(groupement)).status_code == 403
            assert client.post(self.url(groupement), self.data(LegalEntityFactory())).status_code == 403
        assert Membership.objects.count() == 1

    def test_an_ars_reviewer_cannot_post(self, client, user_with_role, groupement):
        client.force_login(user_with_role(Role.ARS_REVIEWER, Region.objects.get(code="75")))
        assert client.post(self.url(groupement), self.data(LegalEntityFactory())).status_code == 403
        assert not Membership.objects.exists()


class TestMemberWithdraw:
    def url(self, membership):
        return reverse("members:member_withdraw", args=[membership.groupement.slug, membership.pk])

    def test_the_form_proposes_the_earliest_possible_date(self, director_client, groupement):
        response = director_client.get(self.url(add_member(groupement)))
        assert response.status_code == 200
        assert soup(response).select_one("input[name=left_on]")["value"] == "2028-01-01"
        assert "R. 312-194-10" in response.content.decode()

    def test_records_a_withdrawal(self, director_client, groupement):
        membership = add_member(groupement)
        data = {"notified_on": "2026-06-15", "left_on": "2027-01-01", "act": "Lettre recommandée du 15 juin 2026"}
        response = post_ok(director_client, self.url(membership), data)

        membership.refresh_from_db()
        assert membership.leave_reason == LeaveReason.WITHDRAWAL
        assert response["Location"].endswith(f"/membres/{membership.pk}/")
        assert "prend effet le 1er janvier 2027" in director_client.get(response["Location"]).content.decode()

    def test_a_late_notice_is_refused_on_the_form(self, director_client, groupement):
        membership = add_member(groupement)
        data = {"notified_on": "2026-07-15", "left_on": "2027-01-01", "act": "Lettre"}
        response = director_client.post(self.url(membership), data)
        assert response.status_code == 200
        assert "au plus tard le 30 juin 2026" in errors(response)
        membership.refresh_from_db()
        assert membership.left_on is None

    def test_missing_fields_are_shown(self, director_client, groupement):
        response = director_client.post(self.url(add_member(groupement)), {})
        assert response.status_code == 200
        assert response.content.decode().count("Ce champ est obligatoire") == 3

    def test_a_director_of_another_groupement_is_refused(self, client, user_with_role, groupement):
        membership = add_member(groupement)
        client.force_login(user_with_role(Role.GROUPEMENT_DIRECTOR, GroupementFactory()))
        data = {"notified_on": "2026-06-15", "left_on": "2027-01-01", "act": "Lettre"}
        assert client.post(self.url(membership), data).status_code == 403
        membership.refresh_from_db()
        assert membership.left_on is None


class TestMemberExclude:
    def url(self, membership):
        return reverse("members:member_exclude", args=[membership.groupement.slug, membership.pk])

    def data(self, **overrides):
        return {
            "hearing_on": "2026-10-01",
            "decided_on": "2026-10-15",
            "left_on": "2026-11-01",
            "act": "AG",
        } | overrides

    def test_records_an_exclusion(self, director_client, groupement):
        membership, *_ = [add_member(groupement) for _ in range(3)]
        post_ok(director_client, self.url(membership), self.data())
        membership.refresh_from_db()
        assert membership.leave_reason == LeaveReason.EXCLUSION

    def test_too_few_members_is_shown_on_the_form(self, director_client, groupement):
        membership = add_member(groupement)
        response = director_client.post(self.url(membership), self.data())
        assert "au moins 3 membres" in errors(response)

    def test_a_hearing_after_the_decision_is_shown_on_the_form(self, director_client, groupement):
        membership, *_ = [add_member(groupement) for _ in range(3)]
        response = director_client.post(self.url(membership), self.data(hearing_on="2026-10-20"))
        assert "doit être entendu avant la décision" in errors(response)


class TestMemberTerms:
    def url(self, membership):
        return reverse("members:member_terms", args=[membership.groupement.slug, membership.pk])

    def test_records_new_terms(self, director_client, groupement):
        membership = add_member(groupement)
        data = {"valid_from": "2027-01-01", "voting_rights": "5", "contribution_share": "9,25", "act": "Budget 2027"}
        post_ok(director_client, self.url(membership), data)
        assert list(
            MembershipTerms.objects.filter(membership=membership).values_list("contribution_share", flat=True)
        )[-1] == Decimal("9.25")

    def test_backdated_terms_are_refused_on_the_form(self, director_client, groupement):
        membership = add_member(groupement)
        data = {"valid_from": "2025-01-01", "voting_rights": "5", "contribution_share": "9", "act": "AG"}
        response = director_client.post(self.url(membership), data)
        assert "ne peuvent pas précéder l'admission" in errors(response)

    def test_an_unknown_member_is_not_found(self, director_client, groupement):
        url = reverse("members:member_terms", args=[groupement.slug, 999999])
        assert director_client.get(url).status_code == 404


class TestMemberExport:
    def url(self, groupement):
        return reverse("members:member_export", args=[groupement.slug])

    def test_requests_a_members_list_document_and_shows_its_job(self, director_client, groupement):
        add_member(groupement)
        response = director_client.post(self.url(groupement))
        job = GenerationJob.objects.get()
        assert (job.kind, job.groupement) == ("members_list", groupement)
        assert response.status_code == 302
        assert response["Location"] == reverse("documents:job_detail", args=[groupement.slug, job.pk])

    def test_get_is_not_allowed(self, director_client, groupement):
        assert director_client.get(self.url(groupement)).status_code == 405

    def test_an_establishment_director_is_refused(self, client, user_with_role, groupement):
        membership = add_member(groupement)
        client.force_login(user_with_role(Role.ESTABLISHMENT_DIRECTOR, membership.legal_entity.establishments.get()))
        assert client.post(self.url(groupement)).status_code == 403


class TestGroupementNav:
    def test_the_dashboard_links_to_the_members_list(self, director_client, groupement):
        response = director_client.get(reverse("members:groupement_dashboard", args=[groupement.slug]))
        nav = soup(response).select_one(".sub-nav")
        assert [a.get_text(strip=True) for a in nav.select("a")] == [
            "Tableau de bord",
            "Membres",
            "Documents",
            "Gouvernance",
            "Fonctions mutualisées",
            "Personnes",
        ]
        assert nav.select_one("a[aria-current=page]").get_text(strip=True) == "Tableau de bord"

    def test_member_pages_mark_the_members_link(self, director_client, groupement):
        membership = add_member(groupement)
        nav = soup(director_client.get(reverse("members:member_detail", args=[groupement.slug, membership.pk])))
        assert nav.select_one(".sub-nav a[aria-current]").get_text(strip=True) == "Membres"


class TestPortal:
    def test_shows_the_establishment_its_eligibility_membership_and_history(self, client, user_with_role, groupement):
        membership = add_member(groupement)
        MembershipFactory(
            groupement=GroupementFactory(name="Ancien GCSMS"),
            legal_entity=membership.legal_entity,
            admitted_on=D(2020, 1, 1),
            left_on=D(2025, 1, 1),
            leave_reason=LeaveReason.WITHDRAWAL,
            leave_act="Lettre de 2024",
        )
        establishment = membership.legal_entity.establishments.get()
        client.force_login(user_with_role(Role.ESTABLISHMENT_DIRECTOR, establishment))

        response = client.get(reverse("members:portal"))

        assert response.status_code == 200
        text = " ".join(soup(response).get_text(" ", strip=True).split())
        assert establishment.finess in text
        assert membership.legal_entity.finess in text
        assert EligibilityCategory.MANDATORY.label in text
        assert "GTSMS Creuse Nord — Membre obligatoire, depuis le 1er janvier 2026" in text
        assert "droits de vote : 3,00, part des charges : 7,50 %" in text.replace("\xa0", " ")
        assert "Ancien GCSMS" in text
        assert "Lettre de 2024" in text

    def test_shows_only_the_directors_own_establishments(self, client, user_with_role, groupement):
        mine = add_member(groupement).legal_entity.establishments.get()
        other = add_member(groupement).legal_entity.establishments.get()
        client.force_login(user_with_role(Role.ESTABLISHMENT_DIRECTOR, mine))
        text = client.get(reverse("members:portal")).content.decode()
        assert mine.finess in text
        assert other.finess not in text

    @pytest.mark.parametrize("count", [1, 30])
    def test_query_count_does_not_grow_with_establishments(
        self, client, user_with_role, groupement, django_assert_num_queries, count
    ):
        user = user_with_role(Role.ESTABLISHMENT_DIRECTOR, add_member(groupement).legal_entity.establishments.get())
        from accounts.services import role_grant

        for _ in range(count - 1):
            role_grant(user=user, role=Role.ESTABLISHMENT_DIRECTOR, scope_object=EstablishmentFactory())
        client.force_login(user)
        warm_up(client, reverse("members:portal"))
        # session, user, history context (2), roles, establishments (guardian filter), memberships, their
        # terms; the groupements' documents and their links (2); pooled functions: current memberships and
        # subscriptions (2; no share to compute without a subscription); the governance section's
        # convocations (one query while there are none)
        with django_assert_num_queries(13):
            response = client.get(reverse("members:portal"))
        assert len(soup(response).select("section.panel")) == count


class TestGhtMembershipAdmin:
    def test_a_platform_admin_records_a_ght_membership_and_it_is_journaled(self, client, user_with_role):
        admin = user_with_role(Role.PLATFORM_ADMIN)
        client.force_login(admin)
        entity = LegalEntityFactory()
        data = {"legal_entity": entity.pk, "ght_name": "GHT du Limousin", "since": "2020-01-01", "until": "",
                "source": "Convention constitutive du GHT"}  # fmt: skip
        response = client.post(reverse("admin:members_ghtmembership_add"), data)

        assert response.status_code == 302
        ght = entity.ght_memberships.get()
        entry = JournalEntry.objects.get(action=JournalAction.GHT_MEMBERSHIP_RECORDED)
        assert (entry.actor, entry.target) == (admin, ght)
        assert client.get(reverse("admin:members_ghtmembership_changelist")).status_code == 200

    def test_a_groupement_director_cannot_open_the_admin(self, director_client):
        response = director_client.get(reverse("admin:members_ghtmembership_add"))
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")


MEMBER_PAGES = ["member_detail", "member_withdraw", "member_exclude", "member_terms"]
GROUPEMENT_PAGES = ["groupement_dashboard", "member_list", "member_admit", "member_export"]


class TestOtherTenantsAreRefused:
    """No page of groupement A answers to a director of groupement B or to an establishment director."""

    @pytest.fixture(params=["other_director", "establishment_director"])
    def outsider_client(self, request, client, user_with_role, groupement):
        if request.param == "other_director":
            user = user_with_role(Role.GROUPEMENT_DIRECTOR, GroupementFactory())
        else:
            user = user_with_role(Role.ESTABLISHMENT_DIRECTOR, EstablishmentFactory())
        client.force_login(user)
        return client

    @pytest.mark.parametrize("name", MEMBER_PAGES)
    def test_member_pages(self, outsider_client, groupement, name):
        membership = add_member(groupement)
        url = reverse(f"members:{name}", args=[groupement.slug, membership.pk])
        assert outsider_client.get(url).status_code in (403, 405)
        assert outsider_client.post(url, {"act": "x"}).status_code in (403, 405)
        membership.refresh_from_db()
        assert membership.left_on is None
        assert membership.terms.count() == 1

    @pytest.mark.parametrize("name", GROUPEMENT_PAGES)
    def test_groupement_pages(self, outsider_client, groupement, name):
        url = reverse(f"members:{name}", args=[groupement.slug])
        assert outsider_client.get(url).status_code in (403, 405)
        assert outsider_client.post(url).status_code in (403, 405)
