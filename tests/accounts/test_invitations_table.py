"""The invitation table (accounts.invitations): every (inviter role × invitee role), inside and outside
the inviter's reach, allowed or refused (403) by the service. The expected answers are written here by
hand, not derived from the table."""

import pytest

from accounts.enums import Role
from accounts.invitations import INVITATION_RULES, may_invite
from accounts.models import Invitation
from accounts.services import invitation_create
from core.perms import RightRequired
from members.models import Departement, Region
from tests.members.factories import EstablishmentFactory, GroupementFactory, MembershipFactory


pytestmark = pytest.mark.django_db

ADMIN, DIRECTOR, STAFF, EST, ARS, READER = (
    Role.PLATFORM_ADMIN,
    Role.GROUPEMENT_DIRECTOR,
    Role.GROUPEMENT_STAFF,
    Role.ESTABLISHMENT_DIRECTOR,
    Role.ARS_REVIEWER,
    Role.DEPARTEMENT_READER,
)

# (inviter, invitee, where): the only allowed invitations. "inside": on the inviter's own groupement,
# a current member's establishment, its région or one of its départements; "outside": another one.
ALLOWED = {
    (ADMIN, DIRECTOR, "inside"),
    (ADMIN, DIRECTOR, "outside"),
    (ADMIN, ARS, "inside"),
    (ADMIN, ARS, "outside"),
    (DIRECTOR, STAFF, "inside"),
    (DIRECTOR, EST, "inside"),
    (ARS, ARS, "inside"),
    (ARS, READER, "inside"),
}
CASES = [(inviter, invitee, where) for inviter in Role for invitee in Role for where in ("inside", "outside")]


@pytest.fixture
def world(db):
    groupement = GroupementFactory()  # région 75 (Nouvelle-Aquitaine), Creuse
    other_groupement = GroupementFactory()
    member = EstablishmentFactory()
    MembershipFactory(groupement=groupement, legal_entity=member.legal_entity)
    outsider = EstablishmentFactory()
    MembershipFactory(groupement=other_groupement, legal_entity=outsider.legal_entity)
    return {
        "groupement": {"inside": groupement, "outside": other_groupement},
        "establishment": {"inside": member, "outside": outsider},
        "region": {"inside": Region.objects.get(code="75"), "outside": Region.objects.get(code="76")},
        "departement": {"inside": Departement.objects.get(code="23"), "outside": Departement.objects.get(code="48")},
    }


def inviter_for(role, world, user_with_role):
    scope = {
        ADMIN: None,
        DIRECTOR: world["groupement"]["inside"],
        STAFF: world["groupement"]["inside"],
        EST: world["establishment"]["inside"],
        ARS: world["region"]["inside"],
        READER: world["departement"]["inside"],
    }[role]
    return user_with_role(role, scope)


def target_for(invitee, where, world):
    scope = {DIRECTOR: "groupement", STAFF: "groupement", EST: "establishment", ARS: "region", READER: "departement"}
    return world[scope[invitee]][where] if invitee in scope else None


def test_the_expected_answers_are_the_table():
    assert {(rule.inviter, rule.invitee) for rule in INVITATION_RULES} == {(a, b) for a, b, _ in ALLOWED}


@pytest.mark.parametrize(("inviter", "invitee", "where"), CASES, ids=[f"{a.value}-{b.value}-{w}" for a, b, w in CASES])
def test_who_may_invite_whom_to_what(world, user_with_role, inviter, invitee, where):
    actor = inviter_for(inviter, world, user_with_role)
    target = target_for(invitee, where, world)
    allowed = (inviter, invitee, where) in ALLOWED
    assert may_invite(actor, invitee, target) is allowed
    groupement = world["groupement"]["inside"] if invitee == EST and where == "inside" else None
    if allowed:
        invitation = invitation_create(
            email="nouvelle.personne@exemple.fr", role=invitee, scope_object=target, groupement=groupement, actor=actor
        )
        assert invitation.scope_object == target
    else:
        with pytest.raises(RightRequired):
            invitation_create(email="nouvelle.personne@exemple.fr", role=invitee, scope_object=target, actor=actor)
        assert not Invitation.objects.exists()


def test_a_partner_by_convention_is_not_a_member_establishment(world, user_with_role):
    director = user_with_role(DIRECTOR, world["groupement"]["inside"])
    partner = EstablishmentFactory()
    MembershipFactory(groupement=world["groupement"]["inside"], legal_entity=partner.legal_entity, partner=True)
    assert may_invite(director, EST, partner) is False


def test_an_establishment_that_left_the_groupement_is_out_of_reach(world, user_with_role, settings):
    import time_machine

    director = user_with_role(DIRECTOR, world["groupement"]["inside"])
    former = EstablishmentFactory()
    MembershipFactory(groupement=world["groupement"]["inside"], legal_entity=former.legal_entity, withdrawn=True)
    with time_machine.travel("2026-06-01 10:00+00:00"):
        assert may_invite(director, EST, former) is True
    with time_machine.travel("2027-02-01 10:00+00:00"):
        assert may_invite(director, EST, former) is False
