"""Rights each room owns (core.rights): declared by a room, granted by the roles table, brought to
the role groups by ``migrate`` (post_migrate) and by ``sync_permissions``, refused at start-up when
misspelt (gtsms.E001). A test room declares its own right; the registry and the roles table are put
back after each test."""

import dataclasses
import io

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.core.management.sql import emit_post_migrate_signal
from guardian.shortcuts import get_group_perms

from accounts import roles
from accounts.enums import Role
from accounts.models import User
from accounts.roles import ROLE_SPECS
from accounts.services import permissions_sync, role_grant
from core import rights
from core.perms import checker_for
from members.models import Establishment, Groupement, GroupementGroupObjectPermission
from tests.members.factories import EstablishmentFactory, GroupementFactory


pytestmark = pytest.mark.django_db

ROOM = "testroom"


@pytest.fixture
def registry(monkeypatch):
    """A private copy of the registry and of the roles table, restored after the test."""
    monkeypatch.setattr(rights, "_RIGHTS", dict(rights._RIGHTS))
    for role, spec in list(ROLE_SPECS.items()):
        monkeypatch.setitem(ROLE_SPECS, role, spec)

    def grant(role: Role, *keys: str) -> None:
        spec = ROLE_SPECS[role]
        ROLE_SPECS[role] = dataclasses.replace(spec, permissions=(*spec.permissions, *keys))

    def withdraw(role: Role, *keys: str) -> None:
        spec = ROLE_SPECS[role]
        ROLE_SPECS[role] = dataclasses.replace(
            spec, permissions=tuple(key for key in spec.permissions if key not in keys)
        )

    return type("Registry", (), {"grant": staticmethod(grant), "withdraw": staticmethod(withdraw)})


def fresh(user: User) -> User:
    """The same account as a new object, as the next request sees it (no cached permissions)."""
    return User.objects.get(pk=user.pk)


def holds(user: User, right: rights.Right, obj) -> bool:
    return right.held_by(checker_for(fresh(user)), obj)


def run_migrate_handlers() -> None:
    """What ``migrate`` does after the migrations: every app's post_migrate handler, ours included."""
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")


class TestARoomAddsARight:
    def test_after_migrate_it_reaches_exactly_the_roles_that_list_it_on_their_objects(self, registry, user_with_role):
        first, second = GroupementFactory(), GroupementFactory()
        establishment = EstablishmentFactory()
        staff_first = user_with_role(Role.GROUPEMENT_STAFF, first)
        staff_second = user_with_role(Role.GROUPEMENT_STAFF, second)
        director_first = user_with_role(Role.GROUPEMENT_DIRECTOR, first)
        site_director = user_with_role(Role.ESTABLISHMENT_DIRECTOR, establishment)

        audit = rights.declare(ROOM, "audit_functions", scope="groupement", label="auditer les fonctions")
        registry.grant(Role.GROUPEMENT_STAFF, audit.key)
        run_migrate_handlers()

        permission = Permission.objects.get(codename="audit_functions")
        assert permission.content_type == ContentType.objects.get_for_model(Groupement)  # the scope's, not the room's
        assert audit.perm == "members.audit_functions"
        assert holds(staff_first, audit, first) and not holds(staff_first, audit, second)
        assert holds(staff_second, audit, second) and not holds(staff_second, audit, first)
        assert not holds(director_first, audit, first)
        assert not holds(site_director, audit, first)
        assert not Group.objects.filter(permissions=permission).exists()  # object permissions only
        granted = GroupementGroupObjectPermission.objects.filter(permission=permission)  # direct foreign keys
        assert sorted(granted.values_list("group__name", flat=True)) == sorted(
            [f"groupement:{first.pk}:GROUPEMENT_STAFF", f"groupement:{second.pk}:GROUPEMENT_STAFF"]
        )

    def test_sync_permissions_alone_creates_the_right_and_updates_the_groups(self, registry, user_with_role):
        establishment = EstablishmentFactory()
        site_director = user_with_role(Role.ESTABLISHMENT_DIRECTOR, establishment)
        other = EstablishmentFactory()
        report = rights.declare(ROOM, "submit_reports", scope="establishment", label="transmettre les indicateurs")
        registry.grant(Role.ESTABLISHMENT_DIRECTOR, report.key)
        assert not Permission.objects.filter(codename="submit_reports").exists()  # no migrate ran

        call_command("sync_permissions", stdout=io.StringIO())

        assert Permission.objects.get(codename="submit_reports").content_type == ContentType.objects.get_for_model(
            Establishment
        )
        assert holds(site_director, report, establishment) and not holds(site_director, report, other)

    def test_a_role_granted_after_the_right_was_added_holds_it_at_once(self, registry, user_with_role):
        audit = rights.declare(ROOM, "audit_functions", scope="groupement", label="auditer les fonctions")
        registry.grant(Role.GROUPEMENT_DIRECTOR, audit.key)
        run_migrate_handlers()
        groupement = GroupementFactory()
        director = user_with_role(Role.GROUPEMENT_DIRECTOR, groupement)
        assert holds(director, audit, groupement)

    def test_removing_it_from_a_role_removes_it_from_the_role_groups(self, registry, user_with_role):
        groupement = GroupementFactory()
        staff = user_with_role(Role.GROUPEMENT_STAFF, groupement)
        director = user_with_role(Role.GROUPEMENT_DIRECTOR, groupement)
        audit = rights.declare(ROOM, "audit_functions", scope="groupement", label="auditer les fonctions")
        registry.grant(Role.GROUPEMENT_STAFF, audit.key)
        registry.grant(Role.GROUPEMENT_DIRECTOR, audit.key)
        run_migrate_handlers()
        assert holds(staff, audit, groupement) and holds(director, audit, groupement)

        registry.withdraw(Role.GROUPEMENT_STAFF, audit.key)
        run_migrate_handlers()

        assert not holds(staff, audit, groupement)
        assert holds(director, audit, groupement)
        staff_group = Group.objects.get(name=f"groupement:{groupement.pk}:GROUPEMENT_STAFF")
        codenames = set(get_group_perms(staff_group, groupement).values_list("codename", flat=True))
        assert "audit_functions" not in codenames
        assert holds(staff, rights.get("members.view_groupement"), groupement)  # the other rights stay

    def test_the_handlers_change_nothing_the_second_time(self, registry, user_with_role):
        groupement = GroupementFactory()
        user_with_role(Role.GROUPEMENT_STAFF, groupement)
        audit = rights.declare(ROOM, "audit_functions", scope="groupement", label="auditer les fonctions")
        registry.grant(Role.GROUPEMENT_STAFF, audit.key)
        run_migrate_handlers()
        assert permissions_sync().changes == 0


class TestDeclaringRights:
    def test_two_rooms_declaring_one_codename_on_one_scope_are_refused(self, registry):
        rights.declare(ROOM, "share_things", scope="groupement", label="partager")
        with pytest.raises(ValueError, match=r"would share the permission members\.share_things"):
            rights.declare("otherroom", "share_things", scope="groupement", label="partager aussi")

    def test_declaring_the_same_right_again_is_harmless(self, registry):
        first = rights.declare(ROOM, "share_things", scope="groupement", label="partager")
        again = rights.declare(ROOM, "share_things", scope="groupement", label="partager")
        assert again.same_as(first) and rights.get(f"{ROOM}.share_things") is again

    def test_declaring_it_again_differently_is_refused(self, registry):
        rights.declare(ROOM, "share_things", scope="groupement", label="partager")
        with pytest.raises(ValueError, match="declared twice"):
            rights.declare(ROOM, "share_things", scope="region", label="partager")

    def test_an_unknown_scope_is_refused(self, registry):
        with pytest.raises(ValueError, match="unknown scope 'commune'"):
            rights.declare(ROOM, "share_things", scope="commune", label="partager")

    def test_every_room_right_is_on_its_scope_model(self):
        keys = {right.key for right in rights.all_rights()}
        assert {"members.manage_members", "documents.finalise_documents"} <= keys
        assert rights.get("documents.finalise_documents").perm == "members.finalise_documents"


class TestTheStartUpCheck:
    def test_the_roles_table_as_shipped_passes(self):
        call_command("check", tag=["security"])

    def test_a_misspelt_right_stops_the_start(self, registry):
        registry.grant(Role.GROUPEMENT_STAFF, "members.manage_memebrs")
        with pytest.raises(SystemCheckError, match=r"gtsms\.E001.*GROUPEMENT_STAFF: right 'members.manage_memebrs'"):
            call_command("check", tag=["security"])

    def test_a_right_of_another_scope_than_the_role_stops_the_start(self, registry):
        report = rights.declare(ROOM, "submit_reports", scope="establishment", label="transmettre les indicateurs")
        registry.grant(Role.GROUPEMENT_DIRECTOR, report.key)
        with pytest.raises(SystemCheckError, match="is held on establishment, the role on groupement"):
            call_command("check", tag=["security"])

    def test_a_role_without_audience_stops_the_start(self, monkeypatch):
        monkeypatch.setattr(
            roles, "AUDIENCES", tuple(a for a in roles.AUDIENCES if Role.ESTABLISHMENT_DIRECTOR not in a.roles)
        )
        with pytest.raises(SystemCheckError, match="ESTABLISHMENT_DIRECTOR: the role belongs to no audience"):
            call_command("check", tag=["security"])


class TestPermissionRows:
    def test_every_declared_right_has_its_row_on_its_scope_model_after_migrate(self):
        from django.apps import apps

        for right in rights.all_rights():
            content_type = ContentType.objects.get_for_model(apps.get_model(right.scope_model))
            assert Permission.objects.filter(content_type=content_type, codename=right.codename).exists(), right

    def test_the_role_service_grants_them_through_groups(self, user_with_role):
        groupement = GroupementFactory()
        director = user_with_role(Role.GROUPEMENT_DIRECTOR, groupement)
        for key in ROLE_SPECS[Role.GROUPEMENT_DIRECTOR].permissions:
            assert holds(director, rights.get(key), groupement), key
        role_grant(user=director, role=Role.GROUPEMENT_DIRECTOR, scope_object=groupement)  # idempotent
        assert director.groups.count() == 1
