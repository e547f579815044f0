import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from accounts.enums import Role
from members import selectors
from members.documents import register_of_members
from members.enums import GroupementKind, LeaveReason, MembershipCategory
from members.models import Departement, Establishment
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
    return GroupementFactory()


def terms(membership, valid_from, share):
    return MembershipTermsFactory(
        membership=membership, valid_from=valid_from, voting_rights=Decimal(share), contribution_share=Decimal(share)
    )


class TestMembershipList:
    def test_terms_in_force_today(self, groupement):
        membership = MembershipFactory(groupement=groupement)
        terms(membership, D(2026, 1, 1), "10")
        terms(membership, D(2026, 7, 1), "20")
        terms(membership, D(2027, 1, 1), "30")  # not yet in force
        (row,) = selectors.membership_list(groupement=groupement)
        assert row.contribution_share == Decimal("20")

    def test_a_future_admission_shows_its_first_terms(self, groupement):
        membership = MembershipFactory(groupement=groupement, admitted_on=D(2027, 1, 1), founding=False)
        terms(membership, D(2027, 1, 1), "15")
        (row,) = selectors.membership_list(groupement=groupement)
        assert row.contribution_share == Decimal("15")

    def test_a_former_member_shows_its_last_terms(self, groupement):
        membership = MembershipFactory(
            groupement=groupement, admitted_on=D(2020, 1, 1), left_on=D(2023, 1, 1),
            leave_reason=LeaveReason.WITHDRAWAL, leave_act="Lettre",
        )  # fmt: skip
        terms(membership, D(2020, 1, 1), "5")
        terms(membership, D(2022, 1, 1), "6")
        filters = selectors.MemberListFilters(status=selectors.MEMBER_STATUS_LEFT)
        (row,) = selectors.membership_list(groupement=groupement, filters=filters)
        assert row.contribution_share == Decimal("6")

    def test_counts_open_establishments_only(self, groupement):
        membership = MembershipFactory(groupement=groupement)
        EstablishmentFactory(legal_entity=membership.legal_entity)
        EstablishmentFactory(legal_entity=membership.legal_entity, closed=True)
        (row,) = selectors.membership_list(groupement=groupement)
        assert row.establishment_count == 1

    def test_a_member_without_establishments_counts_zero(self, groupement):
        MembershipFactory(groupement=groupement)
        (row,) = selectors.membership_list(groupement=groupement)
        assert row.establishment_count == 0

    def test_only_this_groupement(self, groupement):
        MembershipFactory(groupement=groupement)
        MembershipFactory()
        assert selectors.membership_list(groupement=groupement).count() == 1

    def test_departement_filter_matches_any_establishment_once(self, groupement):
        membership = MembershipFactory(groupement=groupement)
        EstablishmentFactory(legal_entity=membership.legal_entity)
        EstablishmentFactory(legal_entity=membership.legal_entity)
        EstablishmentFactory(legal_entity=membership.legal_entity, departement=Departement.objects.get(code="87"))
        rows = selectors.membership_list(groupement=groupement, filters=selectors.MemberListFilters(departement="23"))
        assert list(rows) == [membership]
        assert rows[0].establishment_count == 3
        assert [d.code for d in selectors.membership_list_departements(groupement=groupement)] == ["23", "87"]

    def test_status_current_includes_admissions_dated_later_and_members_leaving_later(self, groupement):
        future = MembershipFactory(groupement=groupement, admitted_on=D(2027, 1, 1), founding=False)
        leaving = MembershipFactory(
            groupement=groupement, left_on=D(2027, 1, 1), leave_reason=LeaveReason.WITHDRAWAL, leave_act="Lettre"
        )
        gone = MembershipFactory(
            groupement=groupement, left_on=D(2026, 6, 1), leave_reason=LeaveReason.EXCLUSION, leave_act="AG"
        )
        current = set(selectors.membership_list(groupement=groupement))
        assert current == {future, leaving}
        left = selectors.membership_list(
            groupement=groupement, filters=selectors.MemberListFilters(status=selectors.MEMBER_STATUS_LEFT)
        )
        assert list(left) == [gone]

    def test_an_unknown_sort_falls_back_to_the_name(self, groupement):
        b = MembershipFactory(groupement=groupement, legal_entity=LegalEntityFactory(name="B"))
        a = MembershipFactory(groupement=groupement, legal_entity=LegalEntityFactory(name="A"))
        rows = selectors.membership_list(groupement=groupement, filters=selectors.MemberListFilters(sort="x"))
        assert list(rows) == [a, b]


class TestMemberDetail:
    def test_gathers_sites_with_eligibility_and_every_period_with_its_terms(self, groupement):
        entity = LegalEntityFactory()
        old = MembershipFactory(
            groupement=groupement, legal_entity=entity, admitted_on=D(2020, 1, 1), left_on=D(2022, 1, 1),
            leave_reason=LeaveReason.WITHDRAWAL, leave_act="Lettre",
        )  # fmt: skip
        terms(old, D(2020, 1, 1), "1")
        current = MembershipFactory(groupement=groupement, legal_entity=entity, admitted_on=D(2024, 1, 1))
        terms(current, D(2024, 1, 1), "2")
        terms(current, D(2025, 1, 1), "3")
        MembershipFactory(legal_entity=entity, groupement=GroupementFactory(kind=GroupementKind.GCSMS))  # elsewhere
        EstablishmentFactory(legal_entity=entity, category_code="500")

        detail = selectors.member_detail(membership=current)

        assert [p.pk for p in detail.periods] == [current.pk, old.pk]
        assert [t.contribution_share for t in detail.periods[0].terms_history] == [Decimal("2"), Decimal("3")]
        (site,) = detail.establishments
        assert site.category_label == "Obligatoire"
        assert "L. 312-7-2 I" in site.article

    def test_a_private_partner_site_is_partner_only(self, groupement):
        entity = LegalEntityFactory(private=True)
        membership = MembershipFactory(groupement=groupement, legal_entity=entity, partner=True)
        EstablishmentFactory(legal_entity=entity)
        (site,) = selectors.member_detail(membership=membership).establishments
        assert site.category_label == "Partenaire uniquement"

    def test_a_site_whose_statut_is_unknown_says_so_as_the_import_stored_it(self, groupement):
        """Not "hors champ": the page shows the stored decision, like the ARS coverage and the report."""
        entity = LegalEntityFactory(statut_code="", statut_label="")
        membership = MembershipFactory(groupement=groupement, legal_entity=entity)
        EstablishmentFactory(legal_entity=entity)
        (site,) = selectors.member_detail(membership=membership).establishments
        assert site.establishment.eligibility_rule == "STATUT_UNKNOWN"
        assert site.category_label == "Non déterminée"
        assert "statut juridique" in site.rule_label


class TestLegalEntitySearch:
    def test_finds_by_finess_start_or_name_and_says_the_current_gtsms(self):
        entity = LegalEntityFactory(name="EHPAD LES TILLEULS", finess="230780015")
        MembershipFactory(legal_entity=entity, groupement=GroupementFactory(name="GTSMS Ouest"))
        LegalEntityFactory(name="AUTRE")

        (by_finess,) = selectors.legal_entity_search(query="2307800")
        (by_name,) = selectors.legal_entity_search(query="tilleul")
        assert by_finess == by_name == entity
        assert by_name.current_gtsms == "GTSMS Ouest"

    def test_a_partner_or_a_former_member_is_in_no_gtsms(self):
        partner = LegalEntityFactory(name="PARTENAIRE")
        MembershipFactory(legal_entity=partner, partner=True)
        former = LegalEntityFactory(name="ANCIEN")
        MembershipFactory(
            legal_entity=former, left_on=D(2026, 2, 1), leave_reason=LeaveReason.EXCLUSION, leave_act="AG"
        )
        assert selectors.legal_entity_search(query="PARTENAIRE")[0].current_gtsms is None
        assert selectors.legal_entity_search(query="ANCIEN")[0].current_gtsms is None

    def test_most_relevant_first(self):
        """FINESS numbers in number order (the exact one first); names starting with the query, then the closest."""
        far = LegalEntityFactory(name="RESIDENCE AUTONOMIE ET EHPAD DU CANTON DE BOURGANEUF", finess="990000321")
        close = LegalEntityFactory(name="LE GRAND EHPAD", finess="990000413")
        starts = LegalEntityFactory(name="EHPAD DE LA VALLEE", finess="990000512")
        assert selectors.legal_entity_search(query="ehpad") == [starts, close, far]
        exact = LegalEntityFactory(name="CCAS", finess="990000339")
        assert selectors.legal_entity_search(query="9900003") == [far, exact]
        assert selectors.legal_entity_search(query="990000339") == [exact]
        corsica = LegalEntityFactory(name="EHPAD DE CORTE", finess="2B0000012")
        assert selectors.legal_entity_search(query="2b00") == [corsica]

    @pytest.mark.parametrize("query", ["", " ", "a"])
    def test_a_too_short_query_finds_nothing(self, query):
        LegalEntityFactory(name="A")
        assert selectors.legal_entity_search(query=query) == []


class TestPortal:
    def test_current_memberships_and_history_of_each_establishment(self, user_with_role):
        establishment = EstablishmentFactory()
        entity = establishment.legal_entity
        current = MembershipFactory(legal_entity=entity)
        terms(current, D(2026, 1, 1), "8")
        old = MembershipFactory(
            legal_entity=entity, category=MembershipCategory.OPTIONAL, admitted_on=D(2019, 1, 1),
            left_on=D(2021, 1, 1), leave_reason=LeaveReason.WITHDRAWAL, leave_act="Lettre",
            groupement=GroupementFactory(kind=GroupementKind.GCSMS),
        )  # fmt: skip
        user = user_with_role(Role.ESTABLISHMENT_DIRECTOR, establishment)

        (card,) = selectors.portal_for_user(user=user)

        assert card.establishment == establishment
        assert card.current == [current]
        assert card.current[0].voting_rights == Decimal("8")
        assert card.history == [current, old]
        assert card.eligibility.category_label == "Obligatoire"


class TestOneCountPerRule:
    """One rule per count: the dashboard card, its table, the members list and the register agree."""

    @pytest.fixture
    def groupement_with_closed_sites(self, groupement):
        first = MembershipFactory(groupement=groupement, legal_entity=LegalEntityFactory(name="A"))
        EstablishmentFactory(legal_entity=first.legal_entity)
        EstablishmentFactory(legal_entity=first.legal_entity, closed=True, closed_on=D(2025, 6, 30))
        EstablishmentFactory(legal_entity=first.legal_entity, closed=True, closed_on=D(2027, 3, 1))  # still open
        second = MembershipFactory(groupement=groupement, legal_entity=LegalEntityFactory(name="B"))
        EstablishmentFactory(legal_entity=second.legal_entity, closed=True)  # closed, date unknown
        EstablishmentFactory(legal_entity=second.legal_entity)
        partner = MembershipFactory(groupement=groupement, partner=True, legal_entity=LegalEntityFactory(name="C"))
        EstablishmentFactory(legal_entity=partner.legal_entity)
        for membership in (first, second, partner):
            terms(
                membership, membership.admitted_on, "0" if membership.category == MembershipCategory.PARTNER else "50"
            )
        return groupement

    def test_the_card_the_tables_and_the_register_agree(self, groupement_with_closed_sites):
        groupement = groupement_with_closed_sites
        summary = selectors.groupement_summary(groupement=groupement)
        dashboard = {
            m.legal_entity.name: m.establishment_count
            for m in selectors.membership_current_list(groupement=groupement)
        }
        members_list = {
            m.legal_entity.name: m.establishment_count for m in selectors.membership_list(groupement=groupement)
        }
        register = register_of_members(groupement=groupement, as_of=D(2026, 11, 23))
        in_register = {row.name: len(row.establishments) for row in [*register.members, *register.partners]}

        assert dashboard == members_list == in_register == {"A": 2, "B": 1, "C": 1}
        assert summary["establishments"] == register.establishment_count == 3  # members' sites, partners apart
        assert summary["members"] == register.active_count == 2
        assert summary["partners"] == len(register.partners) == 1

    def test_the_dashboard_page_shows_the_same_figures(self, client, user_with_role, groupement_with_closed_sites):
        client.force_login(user_with_role(Role.GROUPEMENT_STAFF, groupement_with_closed_sites))
        response = client.get(f"/groupement/{groupement_with_closed_sites.slug}/")
        html = response.content.decode()
        assert response.status_code == 200
        assert '<p class="card-figure">3</p><p>établissements des membres</p>' in html
        assert '<p class="card-figure">2</p><p>membres</p>' in html

    def test_the_groupement_lists_count_members_without_partners(self, groupement_with_closed_sites, user_with_role):
        groupement = groupement_with_closed_sites
        MembershipFactory(groupement=groupement, withdrawn=True, left_on=D(2026, 1, 2))  # left: not counted
        user = user_with_role(Role.GROUPEMENT_STAFF, groupement)
        (row,) = selectors.groupement_list_for_user(user=user)
        (reviewed,) = selectors.groupement_list_for_review(regions=[groupement.region], departements=[])
        assert row.member_count == reviewed.member_count == 2


class TestEstablishmentOpenOn:
    @pytest.mark.parametrize(
        ("closed", "closed_on", "open_on_23_november"),
        [
            (False, None, True),
            (True, None, False),  # closed, FINESS gave no date: closed every day
            (True, D(2026, 11, 23), False),  # closed_on is the first day closed
            (True, D(2026, 11, 24), True),
            (True, D(2020, 1, 1), False),
        ],
    )
    def test_the_queryset_and_the_row_say_the_same(self, closed, closed_on, open_on_23_november):
        site = EstablishmentFactory(closed=closed, closed_on=closed_on)
        day = D(2026, 11, 23)
        assert Establishment.objects.open_on(day).filter(pk=site.pk).exists() is open_on_23_november
        assert site.is_open_on(day) is open_on_23_november
