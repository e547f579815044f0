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
SCOPE_FIELDS = ("groupement", "establishment", "region", "departement")


def group_name(role: Role | str, scope_object) -> str:
    """The guardian group of one (object × role): e.g. ``groupement:12:GROUPEMENT_DIRECTOR``."""
    spec = ROLE_SPECS[Role(role)]
    if spec.scope is None:
        return f"platform:{role}"
    return f"{spec.scope}:{scope_object.pk}:{role}"


def check_role_specs() -> list[str]:
    """What is wrong in ``ROLE_SPECS`` (undeclared keys, a right on another scope than its role's)."""
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
    return errors


def permissions_matrix_markdown() -> str:
    """The role × object × action table of docs/permissions.md, generated from ROLE_SPECS."""
    lines = ["| rôle | sur | droits | écriture |", "| --- | --- | --- | --- |"]
    for role, spec in ROLE_SPECS.items():
        labels = "; ".join(right.label for right in spec.granted_rights()) or "tous (superutilisateur)"
        writes = "jamais (lecture seule)" if spec.read_only else "oui"
        lines.append(f"| {role.label} (`{role.value}`) | {spec.scope or 'plateforme'} | {labels} | {writes} |")
    return "\n".join(lines)
