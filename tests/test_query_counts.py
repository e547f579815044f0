"""Pages whose number of queries must not grow with their rows: measured with one row, then thirty.

Each test loads the page once with one row (the count is pinned, with what each query reads), adds
29 rows, and loads it again: the same number of queries.
"""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse

from accounts.enums import Role
from core.enums import JournalAction
from core.journal import journal_record
from members.models import Region
from tests.members.factories import (
    EstablishmentFactory,
    GroupementFactory,
    MembershipFactory,
    MembershipTermsFactory,
)


pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def today(time_machine):
    time_machine.move_to(datetime.datetime(2026, 11, 23, 10, tzinfo=ZoneInfo("Europe/Paris")), tick=False)


def add_member(groupement):
    membership = MembershipFactory(groupement=groupement)
    MembershipTermsFactory(membership=membership, voting_rights=Decimal("1"), contribution_share=Decimal("1"))
    EstablishmentFactory(legal_entity=membership.legal_entity)
    EstablishmentFactory(legal_entity=membership.legal_entity, closed=True, closed_on=datetime.date(2025, 1, 1))
    journal_record(action=JournalAction.MEMBER_ADMITTED, groupement=groupement, target=membership)
    return membership


def rows(response, selector):
    return BeautifulSoup(response.content.decode(), "html.parser").select(selector)


def measure(client, url, django_assert_num_queries, expected):
    client.get(url)  # stores the session's activity stamps, so the measured request reads only what it shows
    with django_assert_num_queries(expected):
        response = client.get(url)
    assert response.status_code == 200
    return response


def test_groupement_dashboard(client, user_with_role, django_assert_num_queries):
    groupement = GroupementFactory(departements=["23", "87"])
    client.force_login(user_with_role(Role.GROUPEMENT_DIRECTOR, groupement))
    url = reverse("members:groupement_dashboard", args=[groupement.slug])
    add_member(groupement)
    # session, user, history context (2), roles (navigation), groupement, its permissions (user, groups),
    # members by category, members, establishments by FINESS category, current members (with their
    # open establishments), their sites (one prefetch, for « fermé dans FINESS »), journal, départements
    queries = 15
    response = measure(client, url, django_assert_num_queries, queries)
    assert len(rows(response, "section[aria-labelledby=membres] tbody tr")) == 1
    for _ in range(29):
        add_member(groupement)
    response = measure(client, url, django_assert_num_queries, queries)
    assert len(rows(response, "section[aria-labelledby=membres] tbody tr")) == 30


def test_groupement_list_of_a_platform_admin(client, user_with_role, django_assert_num_queries):
    client.force_login(user_with_role(Role.PLATFORM_ADMIN))
    url = reverse("members:groupement_list")
    add_member(GroupementFactory())
    # session, user, history context (2), roles (navigation), groupements with their member count
    queries = 6
    response = measure(client, url, django_assert_num_queries, queries)
    assert len(rows(response, "tbody tr")) == 1
    for _ in range(29):
        add_member(GroupementFactory())
    response = measure(client, url, django_assert_num_queries, queries)
    assert len(rows(response, "tbody tr")) == 30


def test_ars_home(client, user_with_role, django_assert_num_queries):
    region = Region.objects.get(code="75")
    client.force_login(user_with_role(Role.ARS_REVIEWER, region))
    url = reverse("compliance:ars_home")

    def add_groupement():
        add_member(GroupementFactory(region=region, departements=["23", "87"]))

    add_groupement()
    # session, user, history context (2), scope (régions, départements), groupements with their member
    # count, their départements, roles (navigation)
    queries = 9
    response = measure(client, url, django_assert_num_queries, queries)
    assert len(rows(response, "tbody tr")) == 1
    for _ in range(29):
        add_groupement()
    response = measure(client, url, django_assert_num_queries, queries)
    assert len(rows(response, "tbody tr")) == 30
