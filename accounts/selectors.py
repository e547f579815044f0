from accounts.models import RoleAssignment, User
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
