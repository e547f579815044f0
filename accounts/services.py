"""Writes of the accounts room: roles granted and revoked, permissions rebuilt, accounts disabled.

Rights come only from role assignments: each (object × role) has one guardian group holding the
role's object permissions; a user has the role by being in the group. Every grant and revocation
is journaled.
"""

from dataclasses import dataclass

from django.contrib.auth.models import Group
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from guardian.shortcuts import assign_perm, get_group_perms, remove_perm

from accounts.enums import Role
from accounts.models import RoleAssignment, User, UserSession
from accounts.roles import ROLE_SPECS, SCOPE_FIELDS, group_name
from core.enums import JournalAction
from core.exceptions import BusinessRuleError
from core.journal import journal_record
from members.selectors import journal_groupement_of


GROUP_PREFIXES = ("platform:", *(f"{field}:" for field in SCOPE_FIELDS))


def _ensure_group(role: Role, scope_object: Model | None) -> tuple[Group, int]:
    """The group of (object × role) with exactly the role's permissions; returns it and the changes made."""
    spec = ROLE_SPECS[role]
    group, created = Group.objects.get_or_create(name=group_name(role, scope_object))
    changes = int(created)
    if scope_object is None:
        return group, changes
    wanted = {right.codename: right for right in spec.granted_rights()}
    current = set(get_group_perms(group, scope_object).values_list("codename", flat=True))
    app_label = scope_object._meta.app_label
    for codename in wanted.keys() - current:
        assign_perm(wanted[codename].perm, group, scope_object)
        changes += 1
    for codename in current - wanted.keys():
        remove_perm(f"{app_label}.{codename}", group, scope_object)
        changes += 1
    return group, changes


def _set_platform_flags(user: User) -> int:
    is_admin = RoleAssignment.objects.active().filter(user=user, role=Role.PLATFORM_ADMIN).exists()
    if user.is_superuser == is_admin and user.is_staff == is_admin:
        return 0
    User.objects.filter(pk=user.pk).update(is_superuser=is_admin, is_staff=is_admin)
    user.is_superuser = user.is_staff = is_admin
    return 1


def _journal_groupement(scope: str | None, scope_object: Model | None):
    """The groupement a role event is journaled under: the groupement itself for a groupement role;
    for an establishment role, the groupement its legal entity is a member of today
    (``members.selectors.journal_groupement_of``), so that the groupement's activity shows who runs
    its members' sites; ``None`` (platform-wide) for the platform, région and département roles."""
    if scope == "groupement":
        return scope_object
    if scope == "establishment":
        return journal_groupement_of(legal_entity_id=scope_object.legal_entity_id)
    return None


@transaction.atomic
def role_grant(
    *, user: User, role: Role, scope_object: Model | None = None, actor: User | None = None
) -> RoleAssignment:
    """Give ``role`` on ``scope_object`` to ``user``: one assignment, the user put in the role's group."""
    role = Role(role)
    spec = ROLE_SPECS[role]
    scope = {spec.scope: scope_object} if spec.scope else {}
    existing = RoleAssignment.objects.active().filter(user=user, role=role, **scope).first()
    if existing is not None:
        return existing
    assignment = RoleAssignment(user=user, role=role, granted_by=actor, **scope)
    try:
        assignment.full_clean()
    except ValidationError as error:  # the model's constraints carry French messages
        raise BusinessRuleError(error.messages) from error
    assignment.save()
    group, _ = _ensure_group(role, scope_object)
    group.user_set.add(user)
    _set_platform_flags(user)
    journal_record(
        action=JournalAction.ROLE_GRANTED,
        groupement=_journal_groupement(spec.scope, scope_object),
        actor=actor,
        target=user,
        facts={"role": role.value, "scope": spec.scope, "scope_id": str(scope_object.pk) if scope_object else None},
    )
    return assignment


@transaction.atomic
def role_revoke(*, assignment: RoleAssignment, actor: User | None = None) -> RoleAssignment:
    """End a role assignment: the user leaves the role's group at once."""
    if assignment.revoked_at is not None:
        return assignment
    assignment.revoked_at = timezone.now()
    assignment.revoked_by = actor
    assignment.save(update_fields=["revoked_at", "revoked_by"])
    Group.objects.get(name=group_name(assignment.role, assignment.scope_object)).user_set.remove(assignment.user)
    _set_platform_flags(assignment.user)
    journal_record(
        action=JournalAction.ROLE_REVOKED,
        groupement=_journal_groupement(ROLE_SPECS[Role(assignment.role)].scope, assignment.scope_object),
        actor=actor,
        target=assignment.user,
        facts={
            "role": assignment.role,
            "scope_id": str(assignment.scope_object.pk) if assignment.scope_object else None,
        },
    )
    return assignment


def session_opened(*, user: User, session_key: str) -> None:
    """Remember a session opened by ``user`` (so that disabling the account can end it)."""
    UserSession.objects.get_or_create(session_key=session_key, defaults={"user": user})


@transaction.atomic
def user_disable(*, user: User, actor: User | None = None) -> None:
    """Disable an account and end every session it has open (ASVS 5.0 7.4.2)."""
    User.objects.filter(pk=user.pk).update(is_active=False)
    user.is_active = False
    keys = list(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
    Session.objects.filter(session_key__in=keys).delete()
    UserSession.objects.filter(user=user).delete()
    journal_record(
        action=JournalAction.USER_DISABLED,
        groupement=None,
        actor=actor,
        target=user,
        facts={"sessions_ended": len(keys)},
    )


@dataclass
class SyncResult:
    groups: int = 0
    changes: int = 0


@transaction.atomic
def permissions_sync(*, actor: User | None = None) -> SyncResult:
    """Rebuild every role group's object permissions and members from the active role assignments.

    Idempotent: a second run finds nothing to change.
    """
    result = SyncResult()
    assignments = RoleAssignment.objects.active().select_related(
        "user", "groupement", "establishment", "region", "departement"
    )
    wanted_members: dict[int, set[int]] = {}
    for assignment in assignments:
        group, changes = _ensure_group(Role(assignment.role), assignment.scope_object)
        result.changes += changes
        wanted_members.setdefault(group.pk, set()).add(assignment.user_id)
    prefix_filter = Group.objects.none()
    for prefix in GROUP_PREFIXES:
        prefix_filter = prefix_filter | Group.objects.filter(name__startswith=prefix)
    for group in prefix_filter.prefetch_related("user_set"):
        current = {user.pk for user in group.user_set.all()}
        wanted = wanted_members.get(group.pk, set())
        if wanted != current:
            group.user_set.remove(*(current - wanted))
            group.user_set.add(*(wanted - current))
            result.changes += len(current ^ wanted)
        if not wanted:
            group.delete()  # its object permissions go with it
            result.changes += 1
        else:
            result.groups += 1
    admins = set(assignments.filter(role=Role.PLATFORM_ADMIN).values_list("user_id", flat=True))
    result.changes += (
        User.objects.exclude(pk__in=admins).filter(is_superuser=True).update(is_superuser=False, is_staff=False)
    )
    result.changes += (
        User.objects.filter(pk__in=admins)
        .exclude(is_superuser=True, is_staff=True)
        .update(is_superuser=True, is_staff=True)
    )
    if result.changes:
        journal_record(
            action=JournalAction.PERMISSIONS_SYNCED,
            groupement=None,
            actor=actor,
            facts={"groups": result.groups, "changes": result.changes},
        )
    return result
