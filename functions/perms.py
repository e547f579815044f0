"""Rights of the functions room and the predicates that read them (architecture.md §4).

Seeing a groupement's functions needs ``members.view_groupement`` on it (its director and staff), or
being a reader whose territory includes it (ARS of its région, conseil départemental of one of its
départements), read-only. Managing them needs ``functions.manage_functions``.
"""

from core import rights
from documents.perms import GENERATE_DOCUMENTS


ROOM = "functions"

MANAGE_FUNCTIONS = rights.declare(
    ROOM, "manage_functions", scope="groupement", label="gérer les fonctions mutualisées et la répartition des charges"
)


def can_manage_functions(checker, groupement) -> bool:
    """The groupement's director and staff (``manage_functions`` on the groupement), while it is not dissolved."""
    return MANAGE_FUNCTIONS.held_by(checker, groupement) and groupement.dissolved_on is None


def function_abilities(checker, groupement, *, reader: bool) -> dict[str, bool]:
    """Booleans of the functions pages: ``can_manage`` (forms and buttons), ``can_request_document``
    (ask for the cost-sharing document), ``show_groupement_nav`` (the dashboard navigation, which
    readers cannot open)."""
    can_manage = not reader and can_manage_functions(checker, groupement)
    return {
        "can_manage": can_manage,
        "can_request_document": not reader and GENERATE_DOCUMENTS.held_by(checker, groupement),
        "show_groupement_nav": not reader,
        "reader": reader,
    }


def can_end_subscription(can_manage: bool, subscription) -> bool:
    """An open subscription can be given its last day, by who manages the functions."""
    return can_manage and subscription.ends_on is None


def can_set_post_hours(can_manage: bool, post, year: int) -> bool:
    """Hours are stated for a post split by hours, for a year in which it is active."""
    active = post.starts_on.year <= year and (post.ends_on is None or post.ends_on.year >= year)
    return can_manage and post.split == "HOURS" and active
