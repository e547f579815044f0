import datetime
from zoneinfo import ZoneInfo

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse

from accounts.enums import Role
from compliance.selectors import CoverageStatus, coverage_for_territory, coverage_rows
from members.enums import Decision, DerogationGround, EligibilityCategory, GroupementKind
from members.models import Departement, Derogation, GhtMembership, Region
from tests.members.factories import EstablishmentFactory, GroupementFactory, LegalEntityFactory, MembershipFactory


pytestmark = pytest.mark.django_db

D = datetime.date
URL = "/ars/couverture/"


@pytest.fixture(autouse=True)
def today(time_machine):
    time_machine.move_to(datetime.datetime(2026, 11, 23, 10, tzinfo=ZoneInfo("Europe/Paris")), tick=False)


def dep(code):
    return Departement.objects.get(code=code)


def site(name, departement="23", **kwargs):
    kwargs.setdefault("mandatory", True)
    return EstablishmentFactory(name=name, departement=dep(departement), **kwargs)


@pytest.fixture
def territory():
    """Mandatory establishments of Creuse (23) and Haute-Vienne (87), région 75, and one in Haute-Garonne (76)."""
    gtsms = GroupementFactory(name="GTSMS Creuse Nord")
    sites = {
        "gtsms": site("EHPAD MEMBRE"),
        "ght": site("EHPAD GHT"),
        "derogation": site("EHPAD DEROGATION"),
        "none": site("EHPAD SEUL"),
        "partner": site("EHPAD PARTENAIRE"),
        "ght_ended": site("EHPAD GHT ANCIEN"),
        "refused": site("EHPAD DEROGATION REFUSEE"),
        "pending": site("EHPAD DEROGATION EN COURS"),
        "gcsms": site("EHPAD EN GCSMS"),
        "left": site("EHPAD SORTI"),
        "vienne": site("EHPAD HAUTE-VIENNE", departement="87"),
        "occitanie": site("EHPAD TOULOUSAIN", departement="31"),
        # Not listed: closed, or not mandatory.
        "closed": site("EHPAD FERME", closed=True),
        "optional": site("EHPAD CCAS", mandatory=False, eligibility=EligibilityCategory.OPTIONAL),
    }
    MembershipFactory(groupement=gtsms, legal_entity=sites["gtsms"].legal_entity)
    MembershipFactory(groupement=gtsms, legal_entity=sites["partner"].legal_entity, partner=True)
    MembershipFactory(groupement=gtsms, legal_entity=sites["left"].legal_entity, left_on=D(2026, 6, 1),
                      leave_reason="EXCLUSION", leave_act="AG")  # fmt: skip
    MembershipFactory(
        groupement=GroupementFactory(kind=GroupementKind.GCSMS), legal_entity=sites["gcsms"].legal_entity
    )
    GhtMembership.objects.create(
        legal_entity=sites["ght"].legal_entity, ght_name="GHT du Limousin", since=D(2020, 1, 1)
    )
    GhtMembership.objects.create(
        legal_entity=sites["ght_ended"].legal_entity, ght_name="GHT ancien", since=D(2018, 1, 1), until=D(2025, 12, 31)
    )
    Derogation.objects.create(
        legal_entity=sites["derogation"].legal_entity, ground=DerogationGround.MERGER, received_on=D(2026, 2, 1),
        decision=Decision.GRANTED, decision_on=D(2026, 3, 15),
    )  # fmt: skip
    Derogation.objects.create(
        legal_entity=sites["refused"].legal_entity, ground=DerogationGround.MERGER, received_on=D(2026, 2, 1),
        decision=Decision.REFUSED, decision_on=D(2026, 3, 15),
    )  # fmt: skip
    Derogation.objects.create(
        legal_entity=sites["pending"].legal_entity, ground=DerogationGround.LOCAL_SPECIFICITY,
        received_on=D(2026, 11, 1),
    )  # fmt: skip
    return sites


def statuses(coverage):
    return {
        row["name"]: row["status"]
        for group in coverage.departements
        for row in coverage_rows(departement=group.departement, day=coverage.day)
    }


class TestCoverageSelector:
    def test_says_where_each_mandatory_establishment_belongs(self, territory):
        coverage = coverage_for_territory(regions=[Region.objects.get(code="75")], departements=[])
        assert statuses(coverage) == {
            "EHPAD MEMBRE": CoverageStatus.GTSMS,
            "EHPAD GHT": CoverageStatus.GHT,
            "EHPAD DEROGATION": CoverageStatus.DEROGATION,
            "EHPAD SEUL": CoverageStatus.NONE,
            "EHPAD PARTENAIRE": CoverageStatus.NONE,  # a partner is not a member
            "EHPAD GHT ANCIEN": CoverageStatus.NONE,
            "EHPAD DEROGATION REFUSEE": CoverageStatus.NONE,
            "EHPAD DEROGATION EN COURS": CoverageStatus.NONE,
            "EHPAD EN GCSMS": CoverageStatus.NONE,  # a GCSMS does not meet the obligation
            "EHPAD SORTI": CoverageStatus.NONE,
            "EHPAD HAUTE-VIENNE": CoverageStatus.NONE,
        }

    def test_counts_per_departement_and_in_total(self, territory):
        coverage = coverage_for_territory(regions=[Region.objects.get(code="75")], departements=[])
        creuse = next(group for group in coverage.departements if group.departement.code == "23")
        assert (creuse.counts.mandatory, creuse.counts.gtsms, creuse.counts.ght, creuse.counts.derogation) == (
            10,
            1,
            1,
            1,
        )
        assert creuse.counts.none == 7
        assert coverage.totals.mandatory == 11
        assert coverage.totals.none == 8

    def test_lists_every_departement_of_the_region_even_without_establishments(self, territory):
        coverage = coverage_for_territory(regions=[Region.objects.get(code="75")], departements=[])
        codes = [group.departement.code for group in coverage.departements]
        assert codes == sorted(Departement.objects.filter(region_id="75").values_list("code", flat=True))

    def test_a_departement_reader_sees_only_the_departement(self, territory):
        coverage = coverage_for_territory(regions=[], departements=[dep("87")])
        assert [group.departement.code for group in coverage.departements] == ["87"]
        assert statuses(coverage) == {"EHPAD HAUTE-VIENNE": CoverageStatus.NONE}

    def test_a_ght_membership_counts_until_its_last_day(self, territory):
        entity = territory["ght_ended"].legal_entity
        coverage = coverage_for_territory(regions=[], departements=[dep("23")], day=D(2025, 12, 31))
        assert statuses(coverage)["EHPAD GHT ANCIEN"] == CoverageStatus.GHT
        assert entity.ght_memberships.get().until == D(2025, 12, 31)

    def test_rows_can_be_restricted_to_one_status(self, territory):
        rows = coverage_rows(departement=dep("23"), status=CoverageStatus.NONE)
        assert len(rows) == 7
        assert {row["status"] for row in rows} == {CoverageStatus.NONE}

    def test_rows_say_which_gtsms_ght_or_derogation(self, territory):
        rows = {row["name"]: row for row in coverage_rows(departement=dep("23"))}
        assert rows["EHPAD MEMBRE"]["gtsms_name"] == "GTSMS Creuse Nord"
        assert rows["EHPAD GHT"]["ght_name"] == "GHT du Limousin"
        assert rows["EHPAD DEROGATION"]["derogation_on"] == D(2026, 3, 15)

    @pytest.mark.parametrize("count", [1, 30])
    def test_query_count_does_not_grow_with_establishments(self, django_assert_num_queries, count):
        gtsms = GroupementFactory()
        for index in range(count):
            entity = LegalEntityFactory()
            site(f"EHPAD {index}", legal_entity=entity)
            MembershipFactory(groupement=gtsms, legal_entity=entity)
            GhtMembership.objects.create(legal_entity=entity, ght_name="GHT", since=D(2020, 1, 1))
            Derogation.objects.create(legal_entity=entity, ground=DerogationGround.MERGER, received_on=D(2026, 1, 1))
        region = Region.objects.get(code="75")
        # départements, counts per département and status (one aggregate)
        with django_assert_num_queries(2):
            coverage = coverage_for_territory(regions=[region], departements=[])
        assert coverage.totals.gtsms == count
        creuse = dep("23")
        with django_assert_num_queries(1):
            rows = list(coverage_rows(departement=creuse)[:50])
        assert len(rows) == min(count, 50)


def soup(response):
    return BeautifulSoup(response.content.decode(), "html.parser")


class TestCoveragePage:
    def test_an_ars_reviewer_sees_the_coverage_of_the_region(self, client, user_with_role, territory):
        client.force_login(user_with_role(Role.ARS_REVIEWER, Region.objects.get(code="75")))
        response = client.get(URL)

        assert response.status_code == 200
        text = " ".join(soup(response).get_text(" ", strip=True).split())
        assert "EHPAD MEMBRE" in text
        assert "GTSMS « GTSMS Creuse Nord »" in text
        assert "GHT « GHT du Limousin »" in text
        assert "Dérogation accordée le 15 mars 2026 (issu d'une fusion)" in text
        assert "EHPAD TOULOUSAIN" not in text  # région 76
        assert "EHPAD FERME" not in text
        assert "EHPAD CCAS" not in text
        assert "7 sans aucun rattachement" in text

    def test_establishments_with_no_attachment_stand_out_in_text(self, client, user_with_role, territory):
        client.force_login(user_with_role(Role.DEPARTEMENT_READER, dep("23")))
        rows = soup(client.get(URL)).select(".coverage-table tr.row-alert")
        assert len(rows) == 7
        assert all("Aucun rattachement" in row.get_text() for row in rows)

    def test_a_reviewer_of_another_region_does_not_see_these_establishments(self, client, user_with_role, territory):
        client.force_login(user_with_role(Role.ARS_REVIEWER, Region.objects.get(code="76")))
        text = client.get(URL).content.decode()
        assert "EHPAD TOULOUSAIN" in text
        assert "EHPAD MEMBRE" not in text
        assert "EHPAD HAUTE-VIENNE" not in text

    @pytest.mark.parametrize("role", [Role.GROUPEMENT_DIRECTOR, Role.ESTABLISHMENT_DIRECTOR])
    def test_other_roles_are_refused(self, client, user_with_role, territory, role):
        scope = GroupementFactory() if role == Role.GROUPEMENT_DIRECTOR else territory["gtsms"]
        client.force_login(user_with_role(role, scope))
        assert client.get(URL).status_code == 403

    def test_readers_cannot_post(self, client, user_with_role):
        client.force_login(user_with_role(Role.ARS_REVIEWER, Region.objects.get(code="75")))
        assert client.post(URL).status_code == 403

    @pytest.mark.parametrize("count", [1, 30])
    def test_query_count_does_not_grow_with_establishments(
        self, client, user_with_role, django_assert_num_queries, count
    ):
        gtsms = GroupementFactory()
        for index in range(count):
            entity = LegalEntityFactory()
            site(f"EHPAD {index}", legal_entity=entity)
            MembershipFactory(groupement=gtsms, legal_entity=entity)
        client.force_login(user_with_role(Role.ARS_REVIEWER, Region.objects.get(code="75")))
        client.get(URL)  # stores the session's activity stamps
        # session, user, history context (2), scope (régions, départements), départements, counts,
        # one page of rows, roles (navigation)
        with django_assert_num_queries(10):
            response = client.get(URL)
        assert len(soup(response).select(".coverage-table tbody tr")) == min(count, 50)

    def test_long_lists_are_paginated_and_filtered_by_departement(self, client, user_with_role):
        for index in range(55):
            site(f"EHPAD {index:02d}")
        site("EHPAD DE HAUTE-VIENNE", departement="87")
        client.force_login(user_with_role(Role.ARS_REVIEWER, Region.objects.get(code="75")))
        first = soup(client.get(URL + "?departement=23"))
        assert len(first.select(".coverage-table tbody tr")) == 50
        assert "55 établissements" in first.select_one(".coverage-table caption").get_text()
        second = soup(client.get(URL + "?departement=23&page=2"))
        assert len(second.select(".coverage-table tbody tr")) == 5
        vienne = soup(client.get(URL + "?departement=87")).select(".coverage-table tbody th")
        assert [cell.get_text() for cell in vienne] == ["EHPAD DE HAUTE-VIENNE"]

    @pytest.mark.parametrize("query", ["?departement=99", "?statut=AUTRE", "?page=abc", "?departement=31"])
    def test_unknown_choices_fall_back_to_the_defaults(self, client, user_with_role, territory, query):
        client.force_login(user_with_role(Role.ARS_REVIEWER, Region.objects.get(code="75")))
        response = client.get(URL + query)
        assert response.status_code == 200
        assert "EHPAD MEMBRE" in response.content.decode()  # the first département of the région: 23

    def test_the_review_home_links_to_the_coverage(self, client, user_with_role):
        client.force_login(user_with_role(Role.ARS_REVIEWER, Region.objects.get(code="75")))
        response = client.get(reverse("compliance:ars_home"))
        assert soup(response).find("a", href=URL)
