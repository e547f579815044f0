"""What each role grants, on which kind of object. The single source for guardian group permissions.

Rights are named by their registry key (``"<room>.<codename>"``, see ``core.rights``): a room adds a
right in its own ``perms.py`` and lists it here for the roles that hold it. A key no room declared,
or a right whose scope is not the role's, fails the system check ``gtsms.E001`` at start-up.
"""

from dataclasses import dataclass

from accounts.enums import Role
from core import rights


@dataclass(frozen=True)
class RoleSpec:
    scope: str | None  # the RoleAssignment field that holds the object, or None for a platform-wide role
    permissions: tuple[str, ...]  # registry keys of the rights the role grants on its object
    read_only: bool = False

    def granted_rights(self) -> list[rights.Right]:
        """The declared rights the role grants (``KeyError`` for an undeclared key: see the check)."""
        return [rights.get(key) for key in self.permissions]


ROLE_SPECS: dict[Role, RoleSpec] = {
    Role.PLATFORM_ADMIN: RoleSpec(scope=None, permissions=()),
    Role.GROUPEMENT_DIRECTOR: RoleSpec(
        scope="groupement",
        permissions=(
            "members.view_groupement",
            "members.manage_groupement",
            "members.manage_members",
            "documents.generate_documents",
            "documents.finalise_documents",
            "functions.manage_functions",
            "governance.manage_meetings",
            "governance.manage_convention",
            "governance.manage_director",
        ),
    ),
    Role.GROUPEMENT_STAFF: RoleSpec(
        scope="groupement",
        permissions=(
            "members.view_groupement",
            "members.manage_members",
            "documents.generate_documents",
            "functions.manage_functions",
            "governance.manage_meetings",
        ),
    ),
    Role.ESTABLISHMENT_DIRECTOR: RoleSpec(
        scope="establishment",
        permissions=("members.view_establishment", "members.direct_establishment"),
    ),
    Role.ARS_REVIEWER: RoleSpec(scope="region", permissions=("members.review_region",), read_only=True),
    Role.DEPARTEMENT_READER: RoleSpec(scope="departement", permissions=("members.read_departement",), read_only=True),
}

READ_ONLY_ROLES = frozenset(role for role, spec in ROLE_SPECS.items() if spec.read_only)


@dataclass(frozen=True)
class Audience:
    """Who uses one part of the site: the roles that belong to it, its home page, its navigation label."""

    roles: frozenset[Role]
    url_name: str  # the URL name of the audience's home page
    label: str  # the navigation entry (French)


# Every audience, in priority order: a user's home is the first audience one of their roles belongs
# to, and the navigation shows every such audience in this order. The home view (gtsms.views.home)
# and the navigation (accounts.context_processors) read this table; nothing else lists role sets.
AUDIENCES: tuple[Audience, ...] = (
    Audience(
        roles=frozenset({Role.GROUPEMENT_DIRECTOR, Role.GROUPEMENT_STAFF, Role.PLATFORM_ADMIN}),
        url_name="members:groupement_list",
        label="Groupement",
    ),
    Audience(roles=frozenset({Role.ESTABLISHMENT_DIRECTOR}), url_name="members:portal", label="Mon établissement"),
    Audience(
        roles=frozenset({Role.ARS_REVIEWER, Role.DEPARTEMENT_READER}),
        url_name="compliance:ars_home",
        label="Revue ARS",
    ),
    Audience(roles=frozenset({Role.PLATFORM_ADMIN}), url_name="admin:index", label="Administration"),
)


def audiences_for(roles) -> list[Audience]:
    """The audiences the given roles belong to, in priority order (the first one is the home)."""
    held = {Role(role) for role in roles}
    return [audience for audience in AUDIENCES if audience.roles & held]


SCOPE_FIELDS = ("groupement", "establishment", "region", "departement")


def group_name(role: Role | str, scope_object) -> str:
    """The guardian group of one (object × role): e.g. ``groupement:12:GROUPEMENT_DIRECTOR``."""
    spec = ROLE_SPECS[Role(role)]
    if spec.scope is None:
        return f"platform:{role}"
    return f"{spec.scope}:{scope_object.pk}:{role}"


def check_role_specs() -> list[str]:
    """What is wrong in ``ROLE_SPECS`` (undeclared keys, a right on another scope than its role's, a
    role in no audience)."""
    errors = []
    for role, spec in ROLE_SPECS.items():
        for key in spec.permissions:
            try:
                right = rights.get(key)
            except KeyError:
                errors.append(f"{role.value}: right {key!r} is declared by no room (core.rights.declare)")
                continue
            if right.scope != spec.scope:
                errors.append(f"{role.value}: right {key!r} is held on {right.scope}, the role on {spec.scope}")
        if not audiences_for([role]):
            errors.append(f"{role.value}: the role belongs to no audience (AUDIENCES): it would have no home page")
    return errors


def permissions_matrix_markdown() -> str:
    """The role × object × action table of docs/permissions.md, generated from ROLE_SPECS."""
    lines = ["| rôle | sur | droits | écriture |", "| --- | --- | --- | --- |"]
    for role, spec in ROLE_SPECS.items():
        labels = "; ".join(right.label for right in spec.granted_rights()) or "tous (superutilisateur)"
        writes = "jamais (lecture seule)" if spec.read_only else "oui"
        lines.append(f"| {role.label} (`{role.value}`) | {spec.scope or 'plateforme'} | {labels} | {writes} |")
    return "\n".join(lines)


def audiences_markdown() -> str:
    """The audience table of docs/permissions.md, generated from AUDIENCES (priority order)."""
    lines = ["| ordre | espace | page d'accueil | rôles |", "| --- | --- | --- | --- |"]
    for rank, audience in enumerate(AUDIENCES, start=1):
        roles = ", ".join(f"`{role.value}`" for role in Role if role in audience.roles)
        lines.append(f"| {rank} | {audience.label} | `{audience.url_name}` | {roles} |")
    return "\n".join(lines)
