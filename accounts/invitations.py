"""Who may invite whom, to what: the one table, beside ``ROLE_SPECS`` (accounts/roles.py).

A person brings someone in by inviting them to a role on an object. Each rule says which role the
inviter holds, which role they may give, and how far: on the very object their role is on, on an
establishment currently member of their groupement, on a département of their région, or on any
object (platform administrators). The same rules say who may resend or cancel an invitation and
revoke a role: what you may give, you may take back. Nothing here grants a right by itself: an
accepted invitation goes through ``accounts.services.role_grant``.

Out of the table, nothing: a groupement's staff, establishment directors, ARS agents outside their
région and département readers invite no one.
"""

import enum
from dataclasses import dataclass

from django.utils import timezone

from accounts.enums import Role
from accounts.roles import ROLE_SPECS
from core.perms import is_platform_admin


class Reach(enum.StrEnum):
    ANY = "any"  # any object of the invitee role's scope (platform administrators)
    OWN = "own"  # the very object the inviter's role is on
    MEMBER_ESTABLISHMENT = "member_establishment"  # an establishment currently member of the inviter's groupement
    DEPARTEMENT_OF_REGION = "departement_of_region"  # a département of the inviter's région


REACH_LABELS = {
    Reach.ANY: "tout objet de la plateforme",
    Reach.OWN: "son propre périmètre",
    Reach.MEMBER_ESTABLISHMENT: "un établissement membre de son groupement",
    Reach.DEPARTEMENT_OF_REGION: "un département de sa région",
}


@dataclass(frozen=True)
class InvitationRule:
    inviter: Role
    invitee: Role
    reach: Reach


INVITATION_RULES: tuple[InvitationRule, ...] = (
    InvitationRule(Role.PLATFORM_ADMIN, Role.GROUPEMENT_DIRECTOR, Reach.ANY),
    InvitationRule(Role.PLATFORM_ADMIN, Role.ARS_REVIEWER, Reach.ANY),
    InvitationRule(Role.GROUPEMENT_DIRECTOR, Role.GROUPEMENT_STAFF, Reach.OWN),
    InvitationRule(Role.GROUPEMENT_DIRECTOR, Role.ESTABLISHMENT_DIRECTOR, Reach.MEMBER_ESTABLISHMENT),
    InvitationRule(Role.ARS_REVIEWER, Role.ARS_REVIEWER, Reach.OWN),
    InvitationRule(Role.ARS_REVIEWER, Role.DEPARTEMENT_READER, Reach.DEPARTEMENT_OF_REGION),
)

INVITABLE_ROLES = frozenset(rule.invitee for rule in INVITATION_RULES)


def _scope_model_name(role: Role) -> str | None:
    return ROLE_SPECS[role].scope


def _is_scope_of(role: Role, obj) -> bool:
    """Whether ``obj`` is an object of the kind ``role`` is held on (a groupement for the staff…)."""
    scope = _scope_model_name(role)
    return scope is not None and obj is not None and obj._meta.model_name == scope


def _reaches(rule: InvitationRule, assignment, target) -> bool:
    if rule.reach == Reach.OWN:
        field = ROLE_SPECS[rule.inviter].scope
        return getattr(assignment, f"{field}_id") == target.pk
    if rule.reach == Reach.DEPARTEMENT_OF_REGION:
        return target.region_id == assignment.region_id
    if rule.reach == Reach.MEMBER_ESTABLISHMENT:
        from members.models import Membership

        return (
            Membership.objects.active_on(timezone.localdate())
            .members()
            .filter(groupement_id=assignment.groupement_id, legal_entity_id=target.legal_entity_id)
            .exists()
        )
    return False


def may_invite(user, role: Role | str, target, *, assignments=None) -> bool:
    """Whether ``user`` may invite someone to ``role`` on ``target`` (and resend, cancel or revoke it).

    ``assignments``: the user's active role assignments if already loaded (``accounts.selectors.user_roles``).
    """
    role = Role(role)
    if not _is_scope_of(role, target) or user is None or not user.is_authenticated:
        return False
    rules = [rule for rule in INVITATION_RULES if rule.invitee == role]
    if not rules:
        return False
    if any(rule.inviter == Role.PLATFORM_ADMIN for rule in rules) and is_platform_admin(user):
        return True
    if assignments is None:
        from accounts.selectors import user_roles

        assignments = user_roles(user)
    for rule in rules:
        for assignment in assignments:
            if assignment.role == rule.inviter and _reaches(rule, assignment, target):
                return True
    return False


def may_revoke(user, assignment, *, assignments=None) -> bool:
    """A role may be taken back by whoever may give it, and always by a platform administrator.

    No one revokes their own role here (a director cannot lock themselves out).
    """
    if user is None or not user.is_authenticated or assignment.user_id == user.pk:
        return False
    if is_platform_admin(user):
        return True
    return may_invite(user, assignment.role, assignment.scope_object, assignments=assignments)


def invitation_table_markdown() -> str:
    """The table of docs/permissions.md, generated from ``INVITATION_RULES``."""
    lines = ["| qui invite | à quel rôle | sur |", "| --- | --- | --- |"]
    for rule in INVITATION_RULES:
        lines.append(f"| {rule.inviter.label} | {rule.invitee.label} | {REACH_LABELS[rule.reach]} |")
    return "\n".join(lines)


def groupement_people_abilities(user, groupement, *, assignments) -> dict:
    """What ``user`` may do on a groupement's "Personnes" page, from their loaded role assignments.

    Every establishment the page offers is a current member's, so a director of the groupement may
    invite to (and revoke) the establishment director role on each of them (``MEMBER_ESTABLISHMENT``).
    """
    is_director = any(a.role == Role.GROUPEMENT_DIRECTOR and a.groupement_id == groupement.pk for a in assignments)
    admin = is_platform_admin(user)
    can_staff = may_invite(user, Role.GROUPEMENT_STAFF, groupement, assignments=assignments)
    can_director = may_invite(user, Role.GROUPEMENT_DIRECTOR, groupement, assignments=assignments)
    invitable = [
        role
        for role, allowed in (
            (Role.GROUPEMENT_STAFF, can_staff),
            (Role.ESTABLISHMENT_DIRECTOR, is_director),
            (Role.GROUPEMENT_DIRECTOR, can_director),
        )
        if allowed
    ]
    revocable = set(invitable) | (
        {Role.GROUPEMENT_STAFF, Role.ESTABLISHMENT_DIRECTOR, Role.GROUPEMENT_DIRECTOR} if admin else set()
    )
    return {"can_invite": bool(invitable), "invitable_roles": invitable, "revocable_roles": revocable}


def region_people_abilities(user, region, *, assignments) -> dict:
    """What ``user`` may do on a région's "Personnes" page: ARS agents of the région (and platform
    administrators for agents) invite agents and the readers of its départements."""
    agent = any(a.role == Role.ARS_REVIEWER and a.region_id == region.pk for a in assignments)
    admin = is_platform_admin(user)
    invitable = [
        role for role, allowed in ((Role.ARS_REVIEWER, agent or admin), (Role.DEPARTEMENT_READER, agent)) if allowed
    ]
    revocable = set(invitable) | ({Role.ARS_REVIEWER, Role.DEPARTEMENT_READER} if admin else set())
    return {"can_invite": bool(invitable), "invitable_roles": invitable, "revocable_roles": revocable}
