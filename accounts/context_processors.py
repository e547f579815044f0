from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from accounts.roles import audiences_for
from accounts.selectors import user_roles


def _navigation(request) -> list[dict]:
    roles = [assignment.role for assignment in user_roles(request)]
    items = [{"label": audience.label, "url": reverse(audience.url_name)} for audience in audiences_for(roles)]
    for item in items:
        item["current"] = request.path.startswith(item["url"])
    return items


def navigation(request) -> dict:
    """The navigation of the signed-in user's audiences (``accounts.roles.AUDIENCES``), computed only
    when a template shows it."""
    return {"nav_items": SimpleLazyObject(lambda: _navigation(request))}
