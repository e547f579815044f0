"""Rights of the members room, declared on their scope, and the predicates that read them.

Rights are declared here (``core.rights``) and named in ``accounts.roles.ROLE_SPECS`` by their key
(``"members.manage_members"``). Predicates take a guardian checker (``core.perms.request_checker`` in
a view, ``core.perms.checker_for(actor)`` in a service) and the object; each says who passes.
"""

from core import rights
from documents.perms import GENERATE_DOCUMENTS


ROOM = "members"

VIEW_GROUPEMENT = rights.declare(
    ROOM, "view_groupement", scope="groupement", label="voir le groupement (tableau de bord, membres, documents)"
)
MANAGE_GROUPEMENT = rights.declare(ROOM, "manage_groupement", scope="groupement", label="gérer le groupement")
MANAGE_MEMBERS = rights.declare(
    ROOM, "manage_members", scope="groupement", label="enregistrer admissions, retraits, exclusions"
)
VIEW_ESTABLISHMENT = rights.declare(ROOM, "view_establishment", scope="establishment", label="voir l'établissement")
DIRECT_ESTABLISHMENT = rights.declare(
    ROOM,
    "direct_establishment",
    scope="establishment",
    label="agir comme directeur de l'établissement (portail)",
)
REVIEW_REGION = rights.declare(
    ROOM, "review_region", scope="region", label="lire tous les groupements et établissements de la région"
)
READ_DEPARTEMENT = rights.declare(
    ROOM, "read_departement", scope="departement", label="lire les groupements et établissements du département"
)


def groupement_abilities(checker, groupement) -> dict[str, bool]:
    """What a user may do on a groupement's members pages, read from one prefetched ``ObjectPermissionChecker``.

    Recording admissions, departures and terms needs ``manage_members``; exporting needs ``generate_documents``.
    """
    return {
        "can_manage": checker.has_perm(MANAGE_MEMBERS, groupement),
        "can_export": checker.has_perm(GENERATE_DOCUMENTS, groupement),
    }


def member_abilities(checker, groupement, membership, *, today) -> dict[str, bool]:
    """A departure is recorded once, on a current period; terms can change until the period has ended."""
    can_manage = groupement_abilities(checker, groupement)["can_manage"]
    return {
        "can_manage": can_manage,
        "can_record_leave": can_manage and membership.left_on is None,
        "can_change_terms": can_manage and (membership.left_on is None or membership.left_on > today),
    }
