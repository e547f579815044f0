"""Rights of the members room, declared on their scope, and the predicates that read them.

Rights are declared here (``core.rights``) and named in ``accounts.roles.ROLE_SPECS`` by their key
(``"members.manage_members"``). Predicates take a guardian checker (``core.perms.request_checker`` in
a view, ``core.perms.checker_for(actor)`` in a service) and the object; each says who passes. A
platform administrator (a superuser) passes every predicate that reads a right: guardian grants a
superuser every permission.
"""

import datetime

from core import rights
from documents.perms import can_generate_documents


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


# --- Groupement ------------------------------------------------------------------------------------


def can_view_groupement(checker, groupement) -> bool:
    """The groupement's director and staff (and platform administrators) see its dashboard, members
    and documents."""
    return VIEW_GROUPEMENT.held_by(checker, groupement)


def can_manage_groupement(checker, groupement) -> bool:
    """Only the groupement's director (and platform administrators) manage the groupement itself."""
    return MANAGE_GROUPEMENT.held_by(checker, groupement)


def can_manage_members(checker, groupement) -> bool:
    """The groupement's director and staff record admissions, withdrawals, exclusions and terms
    (decided by the assemblée générale, R. 312-194-10 and R. 312-194-22 CASF)."""
    return MANAGE_MEMBERS.held_by(checker, groupement)


def can_export_members(checker, groupement) -> bool:
    """Exporting the members list is asking for a document: whoever may produce the groupement's
    documents (``documents.perms.can_generate_documents``)."""
    return can_generate_documents(checker, groupement)


def can_record_leave(checker, groupement, membership) -> bool:
    """A withdrawal or an exclusion is recorded by whoever manages members, once, on a current
    period (``left_on`` still empty)."""
    return membership.left_on is None and can_manage_members(checker, groupement)


def can_change_terms(checker, groupement, membership, *, today: datetime.date) -> bool:
    """Voting rights and contribution share change (R. 312-194-12 CASF) by whoever manages members,
    until the period has ended."""
    ended = membership.left_on is not None and membership.left_on <= today
    return not ended and can_manage_members(checker, groupement)


# --- Establishment and territories -----------------------------------------------------------------


def can_view_establishment(checker, establishment) -> bool:
    """The establishment's director (and platform administrators) see the establishment."""
    return VIEW_ESTABLISHMENT.held_by(checker, establishment)


def can_direct_establishment(checker, establishment) -> bool:
    """The establishment's director acts for it on the portal (platform administrators pass too)."""
    return DIRECT_ESTABLISHMENT.held_by(checker, establishment)


def can_review_region(checker, region) -> bool:
    """ARS staff of the région (and platform administrators) read every groupement and establishment
    of it; reading only (architecture.md §4)."""
    return REVIEW_REGION.held_by(checker, region)


def can_read_departement(checker, departement) -> bool:
    """Readers of the conseil départemental (and platform administrators) read the groupements and
    establishments of their département; reading only."""
    return READ_DEPARTEMENT.held_by(checker, departement)


def can_review_territory(regions, departements) -> bool:
    """The ARS pages open to whoever reads at least one région or département: ``regions`` and
    ``departements`` are the user's review scope, already filtered by guardian in the ORM
    (``members.selectors.review_scope_for_user``), so this costs no permission query."""
    return bool(regions) or bool(departements)


# --- Abilities of the members pages ----------------------------------------------------------------


def groupement_abilities(checker, groupement) -> dict[str, bool]:
    """What the user may do on a groupement's members pages (two cached checks of one groupement)."""
    return {
        "can_manage": can_manage_members(checker, groupement),
        "can_export": can_export_members(checker, groupement),
    }


def member_abilities(checker, groupement, membership, *, today: datetime.date) -> dict[str, bool]:
    """What the user may do on one member's page (see ``can_record_leave`` and ``can_change_terms``)."""
    return {
        "can_manage": can_manage_members(checker, groupement),
        "can_record_leave": can_record_leave(checker, groupement, membership),
        "can_change_terms": can_change_terms(checker, groupement, membership, today=today),
    }
