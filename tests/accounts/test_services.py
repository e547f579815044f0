import pytest
from django.contrib.auth.models import Group
from django.contrib.sessions.models import Session
from django.core.management import call_command
from guardian.shortcuts import remove_perm

from accounts.enums import Role
from accounts.models import RoleAssignment
from accounts.services import permissions_sync, role_grant, role_revoke, user_disable
from core.enums import JournalAction
from core.models import JournalEntry
from documents import perms as document_perms
from members import perms
from members.models import Departement, Region
from tests.accounts.factories import UserFactory
from tests.members.factories import EstablishmentFactory, GroupementFactory


pytestmark = pytest.mark.django_db


class TestRoleGrant:
    def test_director_gets_the_groupement_permissions_through_a_group(self):
        groupement, other = GroupementFactory(), GroupementFactory()
        user = UserFactory()
        role_grant(user=user, role=Role.GROUPEMENT_DIRECTOR, scope_object=groupement)
        assert user.has_perm(perms.MANAGE_MEMBERS, groupement)
        assert user.has_perm(document_perms.FINALISE_DOCUMENTS, groupement)
        assert not user.has_perm(perms.VIEW_GROUPEMENT, other)
        assert not user.user_permissions.exists()  # rights only through groups
        assert list(user.groups.values_list("name", flat=True)) == [f"groupement:{groupement.pk}:GROUPEMENT_DIRECTOR"]

    def test_staff_cannot_finalise_documents(self):
        groupement = GroupementFactory()
        user = UserFactory()
        role_grant(user=user, role=Role.GROUPEMENT_STAFF, scope_object=groupement)
        assert user.has_perm(document_perms.GENERATE_DOCUMENTS, groupement)
        assert not user.has_perm(document_perms.FINALISE_DOCUMENTS, groupement)

    def test_reader_roles_are_scoped_to_their_territory(self):
        ars, reader = UserFactory(), UserFactory()
        role_grant(user=ars, role=Role.ARS_REVIEWER, scope_object=Region.objects.get(code="75"))
        role_grant(user=reader, role=Role.DEPARTEMENT_READER, scope_object=Departement.objects.get(code="48"))
        assert ars.has_perm(perms.REVIEW_REGION, Region.objects.get(code="75"))
        assert not ars.has_perm(perms.REVIEW_REGION, Region.objects.get(code="76"))
        assert reader.has_perm(perms.READ_DEPARTEMENT, Departement.objects.get(code="48"))

    def test_grant_is_journaled_and_idempotent(self):
        establishment = EstablishmentFactory()
        user = UserFactory()
        first = role_grant(user=user, role=Role.ESTABLISHMENT_DIRECTOR, scope_object=establishment)
        second = role_grant(user=user, role=Role.ESTABLISHMENT_DIRECTOR, scope_object=establishment)
        assert first == second
        assert JournalEntry.objects.filter(action=JournalAction.ROLE_GRANTED).count() == 1

    def test_a_role_on_the_wrong_kind_of_object_is_refused(self):
        from core.exceptions import BusinessRuleError

        with pytest.raises(BusinessRuleError):
            role_grant(user=UserFactory(), role=Role.ARS_REVIEWER, scope_object=None)

    def test_platform_admin_becomes_superuser_and_loses_it_on_revocation(self):
        user = UserFactory()
        assignment = role_grant(user=user, role=Role.PLATFORM_ADMIN)
        user.refresh_from_db()
        assert user.is_superuser and user.is_staff
        role_revoke(assignment=assignment)
        user.refresh_from_db()
        assert not user.is_superuser and not user.is_staff


class TestRoleRevoke:
    def test_revocation_removes_access_at_once_and_is_journaled(self):
        groupement = GroupementFactory()
        user = UserFactory()
        assignment = role_grant(user=user, role=Role.GROUPEMENT_STAFF, scope_object=groupement)
        role_revoke(assignment=assignment)
        user = type(user).objects.get(pk=user.pk)  # drop guardian's permission cache
        assert not user.has_perm(perms.VIEW_GROUPEMENT, groupement)
        assert JournalEntry.objects.filter(action=JournalAction.ROLE_REVOKED).count() == 1
        assert RoleAssignment.objects.get().revoked_at is not None


class TestPermissionsSync:
    def test_a_second_run_changes_nothing(self):
        groupement = GroupementFactory()
        role_grant(user=UserFactory(), role=Role.GROUPEMENT_DIRECTOR, scope_object=groupement)
        role_grant(user=UserFactory(), role=Role.PLATFORM_ADMIN)
        permissions_sync()
        assert permissions_sync().changes == 0

    def test_it_repairs_missing_permissions_and_stray_members(self):
        groupement = GroupementFactory()
        director = UserFactory()
        role_grant(user=director, role=Role.GROUPEMENT_DIRECTOR, scope_object=groupement)
        group = Group.objects.get(name=f"groupement:{groupement.pk}:GROUPEMENT_DIRECTOR")
        remove_perm(perms.MANAGE_MEMBERS, group, groupement)
        stray = UserFactory()
        group.user_set.add(stray)
        result = permissions_sync()
        assert result.changes == 2
        assert type(director).objects.get(pk=director.pk).has_perm(perms.MANAGE_MEMBERS, groupement)
        assert not type(stray).objects.get(pk=stray.pk).has_perm(perms.VIEW_GROUPEMENT, groupement)
        assert JournalEntry.objects.filter(action=JournalAction.PERMISSIONS_SYNCED).count() == 1
        assert permissions_sync().changes == 0

    def test_a_superuser_without_the_role_is_demoted(self):
        user = UserFactory(is_superuser=True, is_staff=True)
        permissions_sync()
        user.refresh_from_db()
        assert not user.is_superuser

    def test_command_prints_json(self, capsys):
        role_grant(user=UserFactory(), role=Role.GROUPEMENT_STAFF, scope_object=GroupementFactory())
        call_command("sync_permissions")
        call_command("sync_permissions")
        last = capsys.readouterr().out.strip().splitlines()[-1]
        assert last == '{"groups": 1, "changes": 0}'


class TestUserDisable:
    def test_disabling_ends_every_open_session(self, client, password):
        user = UserFactory()
        role_grant(user=user, role=Role.GROUPEMENT_STAFF, scope_object=GroupementFactory())
        response = client.post("/comptes/connexion/", {"username": user.email, "password": password})
        assert response.status_code == 302
        assert Session.objects.count() == 1
        user_disable(user=user)
        assert Session.objects.count() == 0
        response = client.get("/groupement/")
        assert response.status_code == 302 and response["Location"].startswith("/comptes/connexion/")
        assert JournalEntry.objects.filter(action=JournalAction.USER_DISABLED).get().facts == {"sessions_ended": 1}
