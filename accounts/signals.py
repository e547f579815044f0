"""The rights of every room reach the database after each ``migrate``, and a misspelt right stops
the start (docs/permissions.md, "When a room adds a right").

Why ``post_migrate`` rather than a migration per right: a right is code (a room's ``perms.py``), not
schema; a data migration would freeze the registry of the day it was written, and every room would
have to write one into another room's history. ``post_migrate`` runs after every ``migrate`` (the
deploy step) and after the test database is flushed; it is idempotent and costs one query per
declared right when nothing changed, plus one per role group when something did.
"""

from django.core import checks


def ensure_permission_rows() -> int:
    """Create the ``Permission`` row of every declared right, on its scope model's content type."""
    from django.apps import apps
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType

    from core import rights

    created = 0
    for right in rights.all_rights():
        content_type = ContentType.objects.get_for_model(apps.get_model(right.scope_model))
        _, was_created = Permission.objects.get_or_create(
            content_type=content_type, codename=right.codename, defaults={"name": right.label[:255]}
        )
        created += int(was_created)
    return created


def rights_after_migrate(sender, **kwargs) -> None:
    """Permission rows for every right, then every existing role group brought up to date."""
    from accounts.models import RoleAssignment
    from accounts.services import permissions_sync

    ensure_permission_rows()
    if RoleAssignment.objects.exists():
        permissions_sync()


def check_rights(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """``gtsms.E001``: every right the roles table names is declared by a room, on the role's scope,
    and every role has an audience."""
    from accounts.roles import check_role_specs

    hint = (
        "Déclarez le droit dans le perms.py de son salon, sur la portée du rôle ; "
        "rattachez chaque rôle à un espace (accounts.roles.AUDIENCES)."
    )
    return [checks.Error(message, hint=hint, id="gtsms.E001") for message in check_role_specs()]
