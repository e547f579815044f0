from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from accounts.enums import Role
from accounts.selectors import user_roles


def _navigation(request) -> list[dict]:
    roles = {assignment.role for assignment in user_roles(request)}
    items = []
    if Role.ESTABLISHMENT_DIRECTOR in roles:
        items.append({"label": "Mon établissement", "url": reverse("members:portal")})
    if roles & {Role.GROUPEMENT_DIRECTOR, Role.GROUPEMENT_STAFF, Role.PLATFORM_ADMIN}:
        items.append({"label": "Groupement", "url": reverse("members:groupement_list")})
    if roles & {Role.ARS_REVIEWER, Role.DEPARTEMENT_READER}:
        items.append({"label": "Revue ARS", "url": reverse("compliance:ars_home")})
    if Role.PLATFORM_ADMIN in roles:
        items.append({"label": "Administration", "url": reverse("admin:index")})
    current = request.path
    for item in items:
        item["current"] = current.startswith(item["url"])
    return items


def navigation(request) -> dict:
    """The navigation of the signed-in user's audiences (computed only when a template shows it)."""
    return {"nav_items": SimpleLazyObject(lambda: _navigation(request))}
