"""Writes of the accounts room: roles granted and revoked, permissions rebuilt, accounts disabled.

Rights come only from role assignments: each (object × role) has one guardian group holding the
role's object permissions; a user has the role by being in the group. Every grant and revocation
is journaled.
"""

import datetime
import hashlib
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from guardian.shortcuts import assign_perm, get_group_perms, remove_perm

from accounts import invitations
from accounts.enums import Role
from accounts.models import Invitation, RoleAssignment, User, UserSession
from accounts.roles import ROLE_SPECS, SCOPE_FIELDS, group_name
from core.enums import JournalAction
from core.exceptions import BusinessRuleError
from core.journal import journal_record
from core.mail import mail_send
from core.models import JournalEntry
from core.perms import is_platform_admin, require
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
    """End a role assignment: the user leaves the role's group at once.

    ``actor``, when given, must be allowed to give that role (``accounts.invitations.may_revoke``). A
    person left with no role at all is signed out everywhere.
    """
    if actor is not None:
        require(invitations.may_revoke(actor, assignment), "Vous ne pouvez pas retirer ce rôle.")
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
    if not RoleAssignment.objects.active().filter(user=assignment.user).exists():
        _sessions_end(assignment.user)
    return assignment


def session_opened(*, user: User, session_key: str, user_agent: str = "", ip_address: str | None = None) -> None:
    """Remember a session opened by ``user`` (so that they can see and end it, and disabling the account too)."""
    UserSession.objects.get_or_create(
        session_key=session_key, defaults={"user": user, "user_agent": user_agent[:300], "ip_address": ip_address}
    )


@transaction.atomic
def session_end(*, user: User, session_key: str | None = None, keep: str | None = None) -> int:
    """``user`` ends one of their own sessions (``session_key``), or all but ``keep``. Journaled."""
    rows = UserSession.objects.filter(user=user)
    if session_key is not None:
        rows = rows.filter(session_key=session_key)
    if keep is not None:
        rows = rows.exclude(session_key=keep)
    ended = _sessions_end(user, list(rows.values_list("session_key", flat=True)))
    if ended:
        journal_record(
            action=JournalAction.SESSION_ENDED, groupement=None, actor=user, target=user, facts={"sessions": ended}
        )
    return ended


@transaction.atomic
def user_disable(*, user: User, actor: User | None = None) -> None:
    """Disable an account and end every session it has open (ASVS 5.0 7.4.2)."""
    User.objects.filter(pk=user.pk).update(is_active=False)
    user.is_active = False
    ended = _sessions_end(user)
    journal_record(
        action=JournalAction.USER_DISABLED,
        groupement=None,
        actor=actor,
        target=user,
        facts={"sessions_ended": ended},
    )


def _sessions_end(user: User, session_keys: list[str] | None = None) -> int:
    """End the user's open sessions (all of them, or those listed); returns how many."""
    rows = UserSession.objects.filter(user=user)
    if session_keys is not None:
        rows = rows.filter(session_key__in=session_keys)
    keys = list(rows.values_list("session_key", flat=True))
    Session.objects.filter(session_key__in=keys).delete()
    UserSession.objects.filter(user=user, session_key__in=keys).delete()
    return len(keys)


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


# Invitations ---------------------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token() -> tuple[str, str]:
    """A random link token and the hash kept in the database (the token itself is never stored)."""
    token = secrets.token_urlsafe(32)
    return token, _token_hash(token)


def invitation_from_token(token: str) -> Invitation | None:
    """The invitation a link points to, whatever its state, or ``None`` for a wrong or altered link."""
    if not token or len(token) > 100:
        return None
    return (
        Invitation.objects.select_related("groupement", "establishment", "region", "departement", "invited_by")
        .filter(token_hash=_token_hash(token))
        .first()
    )


def _check_rate(actor: User | None) -> None:
    """At most ``INVITATIONS_PER_HOUR`` invitations (first sends and resends) per inviter and hour."""
    if actor is None:
        return
    since = timezone.now() - datetime.timedelta(hours=1)
    sent = JournalEntry.objects.filter(action=JournalAction.INVITATION_SENT, actor=actor, at__gte=since).count()
    if sent >= settings.INVITATIONS_PER_HOUR:
        raise BusinessRuleError(
            f"Vous avez envoyé {sent} invitations en une heure, le maximum : réessayez dans une heure."
        )


def _invitation_send(invitation: Invitation, token: str, actor: User | None) -> None:
    """E-mail the link (by the worker, after commit) and journal the sending."""
    inviter = invitation.invited_by
    mail_send(
        to=invitation.email,
        template="invitation",
        subject=f"Invitation : {invitation.get_role_display().lower()}",
        context={
            "invitation": invitation,
            "inviter_name": str(inviter) if inviter else "L'administration de la plateforme",
            "scope": str(invitation.scope_object),
            "role_label": invitation.get_role_display(),
            "link_url": settings.SITE_URL.rstrip("/") + reverse("accounts:invitation_accept", kwargs={"token": token}),
            "valid_days": settings.INVITATION_VALID_DAYS,
        },
        groupement=invitation.groupement,
        kind="invitation",
        actor=actor,
    )
    journal_record(
        action=JournalAction.INVITATION_SENT,
        groupement=invitation.groupement_id,
        actor=actor,
        target=invitation,
        facts={"email": invitation.email, "role": invitation.role, "sent_count": invitation.sent_count},
    )


def _refresh_token(invitation: Invitation) -> str:
    token, digest = _new_token()
    invitation.token_hash = digest
    invitation.expires_at = timezone.now() + datetime.timedelta(days=settings.INVITATION_VALID_DAYS)
    invitation.last_sent_at = timezone.now()
    return token


@transaction.atomic
def invitation_create(
    *,
    email: str,
    role: Role,
    scope_object: Model,
    groupement=None,
    first_name: str = "",
    last_name: str = "",
    actor: User | None,
) -> Invitation:
    """Invite ``email`` to ``role`` on ``scope_object``, by e-mail (a link valid ``INVITATION_VALID_DAYS``).

    ``actor`` must be allowed by ``accounts.invitations`` (else 403). An address that already has an
    open invitation to the same role gets it again with a new link; one that already holds the role
    is refused. ``groupement`` is the groupement the invitation belongs to (its journal).
    """
    role = Role(role)
    if actor is not None:
        require(
            invitations.may_invite(actor, role, scope_object),
            "Vous ne pouvez pas inviter à ce rôle sur cet objet.",
        )
    email = User.objects.normalize_email(email).strip().lower()
    spec = ROLE_SPECS[role]
    scope = {spec.scope: scope_object}
    if RoleAssignment.objects.active().filter(user__email=email, role=role, **scope).exists():
        raise BusinessRuleError(f"{email} a déjà le rôle « {role.label} » sur {scope_object}.")
    _check_rate(actor)
    if groupement is None and spec.scope == "groupement":
        groupement = scope_object
    existing = (
        Invitation.objects.open().select_for_update(of=("self",)).filter(email=email, role=role, **scope).first()
    )
    if existing is not None:
        return _invitation_resend(existing, actor)
    invitation = Invitation(
        email=email,
        role=role,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        invited_by=actor,
        **{"groupement": groupement, **scope},
    )
    token = _refresh_token(invitation)
    try:
        invitation.full_clean()
    except ValidationError as error:
        raise BusinessRuleError(error.messages) from error
    invitation.save()
    _invitation_send(invitation, token, actor)
    return invitation


def _invitation_resend(invitation: Invitation, actor: User | None) -> Invitation:
    token = _refresh_token(invitation)
    invitation.sent_count += 1
    if actor is not None:
        invitation.invited_by = actor
    invitation.save()
    _invitation_send(invitation, token, actor)
    return invitation


@transaction.atomic
def invitation_resend(*, invitation: Invitation, actor: User | None) -> Invitation:
    """Send an open invitation again with a new link (the previous link stops working), valid 7 days more."""
    if actor is not None:
        require(
            invitations.may_invite(actor, invitation.role, invitation.scope_object),
            "Vous ne pouvez pas renvoyer cette invitation.",
        )
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("groupement", "invited_by", "establishment", "region", "departement")
        .get(pk=invitation.pk)
    )
    if not invitation.is_open:
        raise BusinessRuleError("Cette invitation a déjà été acceptée ou annulée : elle ne peut plus être renvoyée.")
    _check_rate(actor)
    return _invitation_resend(invitation, actor)


@transaction.atomic
def invitation_cancel(*, invitation: Invitation, actor: User | None) -> Invitation:
    """Cancel an open invitation: its link stops working at once."""
    if actor is not None:
        require(
            invitations.may_invite(actor, invitation.role, invitation.scope_object),
            "Vous ne pouvez pas annuler cette invitation.",
        )
    invitation = Invitation.objects.select_for_update(of=("self",)).get(pk=invitation.pk)
    if not invitation.is_open:
        raise BusinessRuleError("Cette invitation a déjà été acceptée ou annulée.")
    invitation.cancelled_at = timezone.now()
    invitation.cancelled_by = actor
    invitation.save(update_fields=["cancelled_at", "cancelled_by"])
    journal_record(
        action=JournalAction.INVITATION_CANCELLED,
        groupement=invitation.groupement_id,
        actor=actor,
        target=invitation,
        facts={"email": invitation.email, "role": invitation.role},
    )
    return invitation


class InvitationInvalid(BusinessRuleError):
    """The link cannot be used (wrong, expired, used, cancelled): its French message says why."""


def invitation_usable(invitation: Invitation | None) -> None:
    """Raise ``InvitationInvalid`` with the reason unless the link can still be accepted."""
    if invitation is None:
        raise InvitationInvalid("Ce lien d'invitation n'est pas valable : vérifiez qu'il est complet.")
    if invitation.accepted_at is not None:
        raise InvitationInvalid("Cette invitation a déjà été acceptée : connectez-vous avec votre adresse.")
    if invitation.cancelled_at is not None:
        raise InvitationInvalid("Cette invitation a été annulée par la personne qui l'avait envoyée.")
    if invitation.is_expired:
        raise InvitationInvalid(
            "Cette invitation a expiré. Demandez à la personne qui vous a invité de vous l'envoyer à nouveau."
        )


@transaction.atomic
def invitation_accept(
    *,
    invitation: Invitation,
    user: User | None = None,
    password: str | None = None,
    first_name: str = "",
    last_name: str = "",
) -> RoleAssignment:
    """Accept an invitation: the role is granted (``role_grant``, by the inviter), the link is used up.

    ``user``: the signed-in account of the invited address, which gets the role (no second account);
    otherwise a new account is created with ``password`` (the password validators apply).
    """
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("groupement", "establishment", "region", "departement", "invited_by")
        .get(pk=invitation.pk)
    )
    invitation_usable(invitation)
    inviter = invitation.invited_by
    if inviter is not None and not invitations.may_invite(inviter, invitation.role, invitation.scope_object):
        raise InvitationInvalid(
            "La personne qui vous a invité n'a plus le droit de le faire : cette invitation n'est plus valable."
        )
    new_account = user is None
    if user is not None:
        if user.email.lower() != invitation.email:
            raise InvitationInvalid(f"Cette invitation est adressée à {invitation.email}, pas à votre compte.")
    else:
        if User.objects.filter(email=invitation.email).exists():
            raise InvitationInvalid("Un compte existe déjà pour cette adresse : connectez-vous pour accepter.")
        user = User(
            email=invitation.email,
            first_name=(first_name or invitation.first_name).strip(),
            last_name=(last_name or invitation.last_name).strip(),
        )
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise BusinessRuleError(error.messages) from error
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save()
    assignment = role_grant(user=user, role=Role(invitation.role), scope_object=invitation.scope_object, actor=inviter)
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    journal_record(
        action=JournalAction.INVITATION_ACCEPTED,
        groupement=invitation.groupement_id,
        actor=user,
        target=invitation,
        facts={
            "email": invitation.email,
            "role": invitation.role,
            "new_account": new_account,
        },
    )
    return assignment


# Password reset --------------------------------------------------------------------------------------


def password_reset_send(*, user: User, token: str) -> None:
    """E-mail a reset link to ``user`` (by the worker). The link is built on ``SITE_URL``, never on the
    request's Host header; it works once (the token changes with the password) and for
    ``PASSWORD_RESET_TIMEOUT`` seconds."""
    path = reverse(
        "accounts:password_reset_confirm",
        kwargs={"uidb64": urlsafe_base64_encode(force_bytes(user.pk)), "token": token},
    )
    mail_send(
        to=user.email,
        template="password_reset",
        subject="Réinitialisation de votre mot de passe",
        context={
            "user_name": user.get_short_name(),
            "link_url": settings.SITE_URL.rstrip("/") + path,
            "valid_minutes": settings.PASSWORD_RESET_TIMEOUT // 60,
        },
        kind="password_reset",
    )
    journal_record(action=JournalAction.PASSWORD_RESET_REQUESTED, groupement=None, target=user, facts={})


def password_changed(*, user: User, how: str) -> None:
    """Journal a password change (``how``: ``"reset"`` by e-mail link); Django ends the user's other
    sessions itself (their session hash no longer matches)."""
    journal_record(action=JournalAction.PASSWORD_CHANGED, groupement=None, actor=user, target=user, facts={"how": how})


# Two-factor sign-in (django-otp) ---------------------------------------------------------------------


def otp_required(user: User) -> bool:
    """Whether ``user`` holds a role of ``OTP_REQUIRED_ROLES`` (one query)."""
    roles = settings.OTP_REQUIRED_ROLES
    return bool(roles) and RoleAssignment.objects.active().filter(user=user, role__in=roles).exists()


@transaction.atomic
def otp_enrol_start(*, user: User):
    """The TOTP device being enrolled (unconfirmed until a first code is given): one per user, kept across reloads."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Application d'authentification", confirmed=False)
    return device


@transaction.atomic
def otp_enrol_confirm(*, user: User, device, token: str) -> list[str]:
    """Confirm the TOTP device with a first code; returns the backup codes (shown once). Journaled.

    Raises ``BusinessRuleError`` for a wrong code.
    """
    from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

    if device.user_id != user.pk or device.confirmed or not device.verify_token(token.replace(" ", "")):
        raise BusinessRuleError("Ce code n'est pas le bon : vérifiez l'heure de votre téléphone et réessayez.")
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    type(device).objects.filter(user=user).exclude(pk=device.pk).delete()
    StaticDevice.objects.filter(user=user).delete()
    backup = StaticDevice.objects.create(user=user, name="Codes de secours", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(settings.OTP_BACKUP_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=backup, token=code) for code in codes])
    journal_record(
        action=JournalAction.OTP_ENROLLED, groupement=None, actor=user, target=user, facts={"backup_codes": len(codes)}
    )
    return codes


@transaction.atomic
def otp_reset(*, user: User, actor: User | None) -> int:
    """Recovery by a platform administrator: remove the user's second factor (they enrol again at their
    next sign-in) and end their sessions. Journaled."""
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    if actor is not None:
        require(
            is_platform_admin(actor),
            "Seul un administrateur de la plateforme peut réinitialiser la double authentification.",
        )
    removed = TOTPDevice.objects.filter(user=user).delete()[0] + StaticDevice.objects.filter(user=user).delete()[0]
    ended = _sessions_end(user)
    journal_record(
        action=JournalAction.OTP_RESET,
        groupement=None,
        actor=actor,
        target=user,
        facts={"devices_removed": removed, "sessions_ended": ended},
    )
    return removed
