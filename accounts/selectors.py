import datetime

from django.db.models import Q
from django.utils import timezone

from accounts.models import Invitation, RoleAssignment, User
from accounts.roles import READ_ONLY_ROLES


def user_roles(request_or_user) -> list[RoleAssignment]:
    """The active role assignments of a user, with their objects; cached on the request (one query)."""
    request = request_or_user if hasattr(request_or_user, "user") else None
    user: User = request.user if request is not None else request_or_user
    if not user.is_authenticated:
        return []
    if request is not None and hasattr(request, "_gtsms_roles"):
        return request._gtsms_roles
    roles = list(
        RoleAssignment.objects.active()
        .filter(user=user)
        .select_related("groupement", "establishment", "region", "departement")
        .order_by("role", "id")
    )
    if request is not None:
        request._gtsms_roles = roles
    return roles


def user_is_read_only(user: User) -> bool:
    """ARS staff and département readers never write (architecture.md §4)."""
    return RoleAssignment.objects.active().filter(user=user, role__in=READ_ONLY_ROLES).exists()


def _member_legal_entities(groupement, day: datetime.date | None):
    from members.models import Membership

    return (
        Membership.objects.active_on(day or timezone.localdate())
        .members()
        .filter(groupement=groupement)
        .values("legal_entity_id")
    )


def groupement_member_establishments(*, groupement, day: datetime.date | None = None):
    """The open establishments of the groupement's current members: where an establishment director may be invited."""
    from members.models import Establishment

    return (
        Establishment.objects.filter(legal_entity_id__in=_member_legal_entities(groupement, day), closed=False)
        .only("pk", "name", "finess")
        .order_by("name", "pk")
    )


def groupement_people(*, groupement, day: datetime.date | None = None) -> list[RoleAssignment]:
    """The active roles on the groupement and on its current members' establishments, by person (one query)."""
    return list(
        RoleAssignment.objects.active()
        .filter(
            Q(groupement=groupement) | Q(establishment__legal_entity_id__in=_member_legal_entities(groupement, day))
        )
        .select_related("user", "groupement", "establishment")
        .order_by("user__last_name", "user__first_name", "user__email", "role", "pk")
    )


def groupement_invitations(*, groupement) -> list[Invitation]:
    """The groupement's open invitations (pending or expired), newest first (one query)."""
    return list(
        Invitation.objects.open()
        .filter(groupement=groupement)
        .select_related("groupement", "establishment", "invited_by")
        .order_by("-last_sent_at", "-pk")
    )


def region_people(*, region) -> list[RoleAssignment]:
    """ARS agents of the région and département readers of its départements (one query)."""
    return list(
        RoleAssignment.objects.active()
        .filter(Q(region=region) | Q(departement__region=region))
        .select_related("user", "region", "departement")
        .order_by("user__last_name", "user__first_name", "user__email", "role", "pk")
    )


def region_invitations(*, region) -> list[Invitation]:
    return list(
        Invitation.objects.open()
        .filter(Q(region=region) | Q(departement__region=region))
        .select_related("region", "departement", "invited_by")
        .order_by("-last_sent_at", "-pk")
    )


def user_open_sessions(*, user) -> list:
    """The user's sessions still open (their Django session exists and has not expired), newest first."""
    from django.contrib.sessions.models import Session

    from accounts.models import UserSession

    alive = Session.objects.filter(expire_date__gt=timezone.now()).values("session_key")
    return list(UserSession.objects.filter(user=user, session_key__in=alive).order_by("-opened_at", "-pk"))
