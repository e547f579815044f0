"""The registry of rights: each room declares, in its own ``perms.py``, the rights it needs and on
which scope; this module collects them (architecture.md §4).

A right is an object permission held on a *scope object* (a groupement, an establishment, a région
or a département). Its ``Permission`` row lives on the scope model's content type, whatever room
declares it: ``functions`` declaring ``manage_functions`` on the groupement gives the permission
``members.manage_functions`` on ``members.Groupement``, which guardian checks against a groupement.

Rights are named in the roles table (``accounts.roles.ROLE_SPECS``) by their *key*,
``"<room>.<codename>"`` (``"functions.manage_functions"``); a key nobody declared fails the
system check ``gtsms.E001`` at start-up. The ``Permission`` rows are created, and every role group
brought up to date, after each ``migrate`` (a ``post_migrate`` handler of ``accounts``): see
docs/permissions.md.
"""

import re

from django.utils.module_loading import autodiscover_modules


# scope name → the model whose objects carry the right ("app_label.ModelName")
SCOPES: dict[str, str] = {
    "groupement": "members.Groupement",
    "establishment": "members.Establishment",
    "region": "members.Region",
    "departement": "members.Departement",
}

CODENAME = re.compile(r"^[a-z][a-z0-9_]{2,99}$")


class Right(str):
    """One right a room declares: ``codename`` on ``scope``, described by a French ``label``.

    A right *is* the permission string guardian checks (``"members.manage_functions"``), so it can
    be handed to ``checker.has_perm``, ``get_objects_for_user`` or ``assign_perm`` as it is; it also
    carries the room that declared it, its scope and its label.
    """

    room: str
    codename: str
    scope: str
    label: str

    def __new__(cls, *, room: str, codename: str, scope: str, label: str) -> "Right":
        perm = f"{SCOPES[scope].split('.', 1)[0]}.{codename}"
        right = super().__new__(cls, perm)
        right.room, right.codename, right.scope, right.label = room, codename, scope, label
        return right

    @property
    def key(self) -> str:
        """How the roles table names it: ``"<room>.<codename>"``."""
        return f"{self.room}.{self.codename}"

    @property
    def scope_model(self) -> str:
        return SCOPES[self.scope]

    @property
    def perm(self) -> str:
        """The permission string guardian checks: ``"<scope app>.<codename>"``."""
        return str.__str__(self)

    def held_by(self, checker, obj) -> bool:
        """Whether the user behind ``checker`` (an ``ObjectPermissionChecker``) holds this right on ``obj``."""
        return checker.has_perm(self.perm, obj)

    def same_as(self, other: "Right") -> bool:
        return (self.room, self.codename, self.scope, self.label) == (
            other.room,
            other.codename,
            other.scope,
            other.label,
        )

    def __repr__(self) -> str:
        return f"<Right {self.key} on {self.scope}>"


_RIGHTS: dict[str, Right] = {}


def declare(room: str, codename: str, *, scope: str, label: str) -> Right:
    """Declare a right of ``room`` (its app label) on ``scope``. Called at import of ``<room>/perms.py``.

    Declaring the same right twice (a module imported again) is harmless; two rooms declaring the
    same codename on the same scope is an error, since they would share one permission row.
    """
    if scope not in SCOPES:
        raise ValueError(f"Right {room}.{codename}: unknown scope {scope!r} (one of {', '.join(SCOPES)})")
    if not CODENAME.match(codename):
        raise ValueError(f"Right {room}.{codename}: invalid codename")
    right = Right(room=room, codename=codename, scope=scope, label=label)
    existing = _RIGHTS.get(right.key)
    if existing is not None and not existing.same_as(right):
        raise ValueError(f"Right {right.key} is declared twice, differently")
    for other in _RIGHTS.values():
        if other.key != right.key and other.perm == right.perm:
            raise ValueError(f"Rights {other.key} and {right.key} would share the permission {right.perm}")
    _RIGHTS[right.key] = right
    return right


def discover() -> None:
    """Import every installed app's ``perms`` module, so that every right is declared."""
    autodiscover_modules("perms")


def get(key: str) -> Right:
    """The right named ``"<room>.<codename>"``; ``KeyError`` if no room declared it."""
    return _RIGHTS[key]


def all_rights() -> list[Right]:
    """Every declared right, by room then codename."""
    return sorted(_RIGHTS.values(), key=lambda right: (right.room, right.codename))
