"""Who passes each members predicate, and the services checking the same predicates (the service
decides, the view shows: docs/permissions.md)."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from accounts.enums import Role
from accounts.models import User
from core.enums import JournalAction
from core.models import JournalEntry
from core.perms import RightRequired, checker_for, is_platform_admin
from members import perms, services
from members.models import Departement, Membership, MembershipTerms, Region
from tests.accounts.factories import UserFactory
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


@pytest.fixture
def people(user_with_role, groupement):
    """One user per role around ``groupement`` (and a director of another groupement)."""
    site = EstablishmentFactory()
    return {
        "director": user_with_role(Role.GROUPEMENT_DIRECTOR, groupement),
        "staff": user_with_role(Role.GROUPEMENT_STAFF, groupement),
        "other_director": user_with_role(Role.GROUPEMENT_DIRECTOR, GroupementFactory()),
        "site_director": user_with_role(Role.ESTABLISHMENT_DIRECTOR, site),
        "ars": user_with_role(Role.ARS_REVIEWER, groupement.region),
        "admin": user_with_role(Role.PLATFORM_ADMIN),
        "nobody": UserFactory(),
    }


def checker(user):
    return checker_for(User.objects.get(pk=user.pk))


def passing(people, predicate, *args, **kwargs) -> set[str]:
    return {name for name, user in people.items() if predicate(checker(user), *args, **kwargs)}


class TestGroupementPredicates:
    def test_view_groupement(self, people, groupement):
        assert passing(people, perms.can_view_groupement, groupement) == {"director", "staff", "admin"}

    def test_manage_groupement(self, people, groupement):
        assert passing(people, perms.can_manage_groupement, groupement) == {"director", "admin"}

    def test_manage_members(self, people, groupement):
        assert passing(people, perms.can_manage_members, groupement) == {"director", "staff", "admin"}

    def test_export_members(self, people, groupement):
        assert passing(people, perms.can_export_members, groupement) == {"director", "staff", "admin"}

    def test_a_departure_is_recorded_once_on_a_current_period(self, people, groupement):
        current = MembershipFactory(groupement=groupement)
        left = MembershipFactory(groupement=groupement, withdrawn=True)
        assert passing(people, perms.can_record_leave, groupement, current) == {"director", "staff", "admin"}
        assert passing(people, perms.can_record_leave, groupement, left) == set()

    def test_terms_change_until_the_period_has_ended(self, people, groupement):
        leaving = MembershipFactory(groupement=groupement, withdrawn=True)  # leaves on 1 January 2027
        ended = MembershipFactory(groupement=groupement, withdrawn=True, left_on=D(2026, 6, 1))
        managers = {"director", "staff", "admin"}
        assert passing(people, perms.can_change_terms, groupement, leaving, today=D(2026, 11, 23)) == managers
        assert passing(people, perms.can_change_terms, groupement, leaving, today=D(2027, 1, 1)) == set()
        assert passing(people, perms.can_change_terms, groupement, ended, today=D(2026, 11, 23)) == set()


class TestTerritoryPredicates:
    def test_establishment(self, user_with_role):
        site, other = EstablishmentFactory(), EstablishmentFactory()
        director = user_with_role(Role.ESTABLISHMENT_DIRECTOR, site)
        assert perms.can_direct_establishment(checker(director), site)
        assert perms.can_view_establishment(checker(director), site)
        assert not perms.can_direct_establishment(checker(director), other)

    def test_region_and_departement(self, user_with_role):
        region, other_region = Region.objects.get(code="75"), Region.objects.get(code="76")
        creuse, lozere = Departement.objects.get(code="23"), Departement.objects.get(code="48")
        ars = user_with_role(Role.ARS_REVIEWER, region)
        reader = user_with_role(Role.DEPARTEMENT_READER, creuse)
        assert perms.can_review_region(checker(ars), region) and not perms.can_review_region(
            checker(ars), other_region
        )
        assert perms.can_read_departement(checker(reader), creuse)
        assert not perms.can_read_departement(checker(reader), lozere)
        assert not perms.can_review_region(checker(reader), region)

    def test_review_territory(self):
        assert perms.can_review_territory([Region(code="75")], [])
        assert perms.can_review_territory([], [Departement(code="23")])
        assert not perms.can_review_territory([], [])


def test_platform_admin_is_one_predicate(people):
    assert {name for name, user in people.items() if is_platform_admin(user)} == {"admin"}
    assert not is_platform_admin(None)


def test_nobody_signed_in_holds_nothing_and_costs_no_query(groupement, django_assert_num_queries):
    from django.contrib.auth.models import AnonymousUser

    with django_assert_num_queries(0):
        assert not perms.can_view_groupement(checker_for(AnonymousUser()), groupement)
        assert not perms.can_manage_members(checker_for(None), groupement)


# --- The services decide --------------------------------------------------------------------------


def _admit(groupement, actor):
    return services.membership_admit(
        groupement=groupement,
        legal_entity=LegalEntityFactory(),
        category="MANDATORY",
        admitted_on=D(2026, 3, 1),
        act="Délibération de l'AG n° 2026-02, adoptée à l'unanimité",
        voting_rights=Decimal("10"),
        contribution_share=Decimal("12.5"),
        actor=actor,
    )


def _withdraw(membership, actor):
    return services.membership_withdraw(
        membership=membership, notified_on=D(2026, 6, 30), left_on=D(2027, 1, 1), act="Lettre du 30 juin", actor=actor
    )


def _exclude(membership, actor):
    return services.membership_exclude(
        membership=membership,
        hearing_on=D(2026, 9, 1),
        decided_on=D(2026, 9, 15),
        left_on=D(2026, 10, 1),
        act="Délibération de l'AG n° 2026-09",
        actor=actor,
    )


def _terms(membership, actor):
    return services.membership_terms_change(
        membership=membership,
        valid_from=D(2027, 1, 1),
        voting_rights=Decimal("2"),
        contribution_share=Decimal("9"),
        act="Budget 2027",
        actor=actor,
    )


def _members(groupement, count=3):
    memberships = [MembershipFactory(groupement=groupement) for _ in range(count)]
    for membership in memberships:
        MembershipTermsFactory(membership=membership)
    return memberships


def _first(groupement):
    return _members(groupement)[0]


ACTIONS = {
    "admission": (lambda groupement, actor: _admit(groupement, actor), JournalAction.MEMBER_ADMITTED),
    "withdrawal": (lambda groupement, actor: _withdraw(_first(groupement), actor), JournalAction.MEMBER_WITHDRAWN),
    "exclusion": (lambda groupement, actor: _exclude(_first(groupement), actor), JournalAction.MEMBER_EXCLUDED),
    "terms": (lambda groupement, actor: _terms(_first(groupement), actor), JournalAction.MEMBERSHIP_TERMS_CHANGED),
}


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("who", ["other_director", "site_director", "ars", "nobody"])
def test_a_service_refuses_an_actor_who_may_not_manage_members(people, groupement, action, who):
    run, journaled = ACTIONS[action]
    with pytest.raises(RightRequired, match="gérer les membres du groupement"):
        run(groupement, people[who])
    assert not JournalEntry.objects.filter(action=journaled).exists()
    assert not Membership.objects.filter(left_on__isnull=False).exists()  # nobody left
    assert not Membership.objects.filter(founding=False).exists()  # nobody admitted
    assert MembershipTerms.objects.count() == Membership.objects.count()  # only the first terms


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("who", ["director", "staff", "admin", None])
def test_a_service_accepts_whoever_passes_the_predicate_and_the_platform(people, groupement, action, who):
    run, journaled = ACTIONS[action]
    run(groupement, people[who] if who else None)
    assert JournalEntry.objects.filter(action=journaled).count() == 1


@pytest.mark.parametrize("who", ["director", "staff", "other_director", "site_director", "ars", "admin", "nobody"])
def test_the_page_shows_the_admission_exactly_when_the_service_accepts_it(people, groupement, who):
    """One place decides: the abilities a page shows are the service's answer."""
    user = User.objects.get(pk=people[who].pk)
    shown = perms.groupement_abilities(checker_for(user), groupement)["can_manage"]
    try:
        _admit(groupement, user)
    except RightRequired:
        accepted = False
    else:
        accepted = True
    assert shown == accepted
