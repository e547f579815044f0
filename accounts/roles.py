"""What each role grants, on which kind of object. The single source for guardian group permissions."""

from dataclasses import dataclass

from accounts.enums import Role
from members import perms as member_perms


@dataclass(frozen=True)
class RoleSpec:
    scope: str | None  # the RoleAssignment field that holds the object, or None for a platform-wide role
    permissions: tuple[str, ...]
    read_only: bool = False
    home: str = "home"


ROLE_SPECS: dict[Role, RoleSpec] = {
    Role.PLATFORM_ADMIN: RoleSpec(scope=None, permissions=()),
    Role.GROUPEMENT_DIRECTOR: RoleSpec(
        scope="groupement",
        permissions=(
            member_perms.VIEW_GROUPEMENT,
            member_perms.MANAGE_GROUPEMENT,
            member_perms.MANAGE_MEMBERS,
            member_perms.GENERATE_DOCUMENTS,
            member_perms.FINALISE_DOCUMENTS,
        ),
    ),
    Role.GROUPEMENT_STAFF: RoleSpec(
        scope="groupement",
        permissions=(member_perms.VIEW_GROUPEMENT, member_perms.MANAGE_MEMBERS, member_perms.GENERATE_DOCUMENTS),
    ),
    Role.ESTABLISHMENT_DIRECTOR: RoleSpec(
        scope="establishment",
        permissions=(member_perms.VIEW_ESTABLISHMENT, member_perms.DIRECT_ESTABLISHMENT),
    ),
    Role.ARS_REVIEWER: RoleSpec(scope="region", permissions=(member_perms.REVIEW_REGION,), read_only=True),
    Role.DEPARTEMENT_READER: RoleSpec(
        scope="departement", permissions=(member_perms.READ_DEPARTEMENT,), read_only=True
    ),
}

READ_ONLY_ROLES = frozenset(role for role, spec in ROLE_SPECS.items() if spec.read_only)
SCOPE_FIELDS = ("groupement", "establishment", "region", "departement")


def group_name(role: Role | str, scope_object) -> str:
    """The guardian group of one (object × role): e.g. ``groupement:12:GROUPEMENT_DIRECTOR``."""
    spec = ROLE_SPECS[Role(role)]
    if spec.scope is None:
        return f"platform:{role}"
    return f"{spec.scope}:{scope_object.pk}:{role}"
