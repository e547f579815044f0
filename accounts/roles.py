"""What each role grants, on which kind of object. The single source for guardian group permissions."""

from dataclasses import dataclass

from accounts.enums import Role
from members import perms as member_perms


@dataclass(frozen=True)
class RoleSpec:
    scope: str | None  # the RoleAssignment field that holds the object, or None for a platform-wide role
    permissions: tuple[str, ...]
    read_only: bool = False


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


PERMISSION_LABELS = {
    member_perms.VIEW_GROUPEMENT: "voir le groupement (tableau de bord, membres, documents)",
    member_perms.MANAGE_GROUPEMENT: "gérer le groupement",
    member_perms.MANAGE_MEMBERS: "enregistrer admissions, retraits, exclusions",
    member_perms.GENERATE_DOCUMENTS: "produire des documents",
    member_perms.FINALISE_DOCUMENTS: "finaliser des documents",
    member_perms.VIEW_ESTABLISHMENT: "voir l'établissement",
    member_perms.DIRECT_ESTABLISHMENT: "agir comme directeur de l'établissement (portail)",
    member_perms.REVIEW_REGION: "lire tous les groupements et établissements de la région",
    member_perms.READ_DEPARTEMENT: "lire les groupements et établissements du département",
}


def permissions_matrix_markdown() -> str:
    """The role × object × action table of docs/permissions.md, generated from ROLE_SPECS."""
    lines = ["| rôle | sur | droits | écriture |", "| --- | --- | --- | --- |"]
    for role, spec in ROLE_SPECS.items():
        rights = "; ".join(PERMISSION_LABELS[perm] for perm in spec.permissions) or "tous (superutilisateur)"
        writes = "jamais (lecture seule)" if spec.read_only else "oui"
        lines.append(f"| {role.label} (`{role.value}`) | {spec.scope or 'plateforme'} | {rights} | {writes} |")
    return "\n".join(lines)
