"""How rights are checked: one guardian checker per user and request, one platform-admin predicate,
and ``require`` for services (architecture.md §4, docs/permissions.md).

Rooms write their predicates in their own ``perms.py`` (``can_manage_members(checker, groupement)``),
reading rights declared there (``core.rights``). A view passes ``request_checker(request)``; a service
passes ``checker_for(actor)`` and calls ``require``: the service is the one place that decides, the
view only shows what the service would allow.
"""

from django.core.exceptions import PermissionDenied
from guardian.core import ObjectPermissionChecker


class _NoRights:
    """The checker of nobody signed in: holds no right, asks the database nothing."""

    def has_perm(self, perm, obj) -> bool:
        return False

    def get_perms(self, obj) -> list[str]:
        return []

    def prefetch_perms(self, objects) -> bool:
        return True


def checker_for(user) -> ObjectPermissionChecker:
    """One guardian checker per user object: an object's permissions are read once, then cached.

    The request's user and the actor a view hands to a service are the same object, so the view's
    checks and the service's check share one cache: a page costs the same few permission queries
    however many checks it makes. Nobody signed in (``None``, an anonymous user) holds no right.
    The cache lives as long as the user object: a role granted after the first check is seen by
    the next request (a new user object), not by this one.
    """
    if user is None or not getattr(user, "is_authenticated", False):
        return _NoRights()
    checker = getattr(user, "_gtsms_perm_checker", None)
    if checker is None:
        checker = user._gtsms_perm_checker = ObjectPermissionChecker(user)
    return checker


def request_checker(request) -> ObjectPermissionChecker:
    """The checker of the request's user (see ``checker_for``)."""
    return checker_for(request.user)


def is_platform_admin(user) -> bool:
    """A platform administrator: an active ``PLATFORM_ADMIN`` role assignment, which the role
    services mirror in ``is_superuser``. The one check of that audience."""
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_superuser)


class RightRequired(PermissionDenied):
    """The acting user lacks the right a service needs. Its message is French, shown as it is (403)."""

    @property
    def messages(self) -> list[str]:
        return [str(arg) for arg in self.args] or ["Vous n'avez pas le droit de faire cette opération."]


def require(allowed: bool, message: str) -> None:
    """Refuse with ``RightRequired(message)`` unless ``allowed`` (a predicate's answer)."""
    if not allowed:
        raise RightRequired(message)
