"""The journal by groupement: the backfill of core/0004, the groupement each writer names, the read."""

import datetime
import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import DatabaseError, connection, transaction
from django.db.migrations.recorder import MigrationRecorder

from accounts.enums import Role
from accounts.models import RoleAssignment
from accounts.services import role_grant, role_revoke
from core.enums import JournalAction
from core.journal import journal_record
from core.models import JournalEntry
from members import selectors
from members.enums import GroupementKind
from members.models import Departement, Region
from tests.accounts.factories import UserFactory
from tests.documents.factories import DocumentFactory, GenerationJobFactory
from tests.members.factories import EstablishmentFactory, GroupementFactory, MembershipFactory


pytestmark = pytest.mark.django_db

backfill = importlib.import_module("core.migrations.0004_journal_groupement_backfill").backfill_journal_groupement


def old_entry(action=JournalAction.MEMBER_ADMITTED, **kwargs) -> JournalEntry:
    """An entry as the writers left it before ``JournalEntry.groupement`` existed."""
    return journal_record(action=action, groupement=None, **kwargs)


def run_backfill() -> int:
    return backfill(apps, SimpleNamespace(connection=connection))


class TestBackfill:
    def test_fills_each_kind_of_entry_from_its_fact_or_its_target(self):
        groupement, other = GroupementFactory(), GroupementFactory()
        membership = MembershipFactory(groupement=groupement)
        job = GenerationJobFactory(groupement=groupement)
        document = DocumentFactory(groupement=other)
        director = UserFactory()
        role_grant(user=director, role=Role.GROUPEMENT_DIRECTOR, scope_object=other)
        site = EstablishmentFactory(legal_entity=membership.legal_entity)
        site_director = UserFactory()
        role_grant(user=site_director, role=Role.ESTABLISHMENT_DIRECTOR, scope_object=site)
        entries = {
            "fact": old_entry(facts={"groupement": groupement.pk}),
            "membership": old_entry(target=membership),
            "job": old_entry(JournalAction.DOCUMENT_REQUESTED, target=job),
            "document": old_entry(JournalAction.DOCUMENT_DOWNLOADED, target=document, facts={"document": 1}),
            "grant": old_entry(
                JournalAction.ROLE_GRANTED,
                target=director,
                facts={"role": Role.GROUPEMENT_DIRECTOR, "scope": "groupement", "scope_id": str(other.pk)},
            ),
            "revoke": old_entry(
                JournalAction.ROLE_REVOKED,
                target=director,
                facts={"role": Role.GROUPEMENT_DIRECTOR, "scope_id": str(other.pk)},
            ),
            "site_grant": old_entry(
                JournalAction.ROLE_GRANTED,
                target=site_director,
                facts={"role": Role.ESTABLISHMENT_DIRECTOR, "scope": "establishment", "scope_id": str(site.pk)},
            ),
            "ght": old_entry(
                JournalAction.GHT_MEMBERSHIP_RECORDED, facts={"legal_entity": membership.legal_entity_id}
            ),
        }
        expected = {
            "fact": groupement,
            "membership": groupement,
            "job": groupement,
            "document": other,
            "grant": other,
            "revoke": other,
            "site_grant": groupement,
            "ght": groupement,
        }

        assert run_backfill() == len(entries)

        filled = {name: JournalEntry.objects.get(pk=entry.pk).groupement for name, entry in entries.items()}
        assert filled == expected

    def test_leaves_platform_wide_events_and_entries_already_filled_alone(self):
        groupement, other = GroupementFactory(), GroupementFactory()
        finess = old_entry(JournalAction.FINESS_IMPORTED, facts={"read": 3})
        region_role = old_entry(
            JournalAction.ROLE_GRANTED,
            target=UserFactory(),
            facts={"role": Role.ARS_REVIEWER, "scope": "region", "scope_id": "75"},
        )
        unknown = old_entry(facts={"groupement": 999_999})  # no such groupement: not invented
        partner = MembershipFactory(groupement=groupement, partner=True)
        not_a_member = old_entry(
            JournalAction.GHT_MEMBERSHIP_RECORDED, facts={"legal_entity": partner.legal_entity_id}
        )
        filled = journal_record(
            action=JournalAction.MEMBER_ADMITTED, groupement=other, facts={"groupement": groupement.pk}
        )

        assert run_backfill() == 0

        for entry in (finess, region_role, unknown, not_a_member):
            assert JournalEntry.objects.get(pk=entry.pk).groupement_id is None
        assert JournalEntry.objects.get(pk=filled.pk).groupement_id == other.pk

    def test_a_second_run_changes_nothing(self):
        old_entry(facts={"groupement": GroupementFactory().pk})
        assert run_backfill() == 1
        assert run_backfill() == 0

    def test_the_journal_stays_append_only_after_the_backfill(self):
        old_entry(facts={"groupement": GroupementFactory().pk})
        run_backfill()
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("UPDATE core_journalentry SET groupement_id = NULL")
        assert JournalEntry.objects.filter(groupement__isnull=True).count() == 0

    def test_the_migration_is_applied_and_calls_the_tested_function(self):
        module = importlib.import_module("core.migrations.0004_journal_groupement_backfill")
        (operation,) = module.Migration.operations
        assert operation.code is module.forwards
        assert MigrationRecorder.Migration.objects.filter(app="core", name=module.__name__.rsplit(".", 1)[1]).exists()


class TestWriters:
    def entry(self, action):
        return JournalEntry.objects.filter(action=action).latest("id")

    def test_a_role_on_a_groupement_is_journaled_under_it(self):
        groupement = GroupementFactory()
        assignment = role_grant(user=UserFactory(), role=Role.GROUPEMENT_STAFF, scope_object=groupement)
        assert self.entry(JournalAction.ROLE_GRANTED).groupement == groupement
        role_revoke(assignment=assignment)
        assert self.entry(JournalAction.ROLE_REVOKED).groupement == groupement

    def test_a_role_on_an_establishment_is_journaled_under_the_groupement_of_its_legal_entity(self):
        membership = MembershipFactory()
        site = EstablishmentFactory(legal_entity=membership.legal_entity)
        assignment = role_grant(user=UserFactory(), role=Role.ESTABLISHMENT_DIRECTOR, scope_object=site)
        assert self.entry(JournalAction.ROLE_GRANTED).groupement_id == membership.groupement_id
        role_revoke(assignment=assignment)
        assert self.entry(JournalAction.ROLE_REVOKED).groupement_id == membership.groupement_id

    def test_a_role_on_an_establishment_of_no_member_is_platform_wide(self):
        site = EstablishmentFactory()
        role_grant(user=UserFactory(), role=Role.ESTABLISHMENT_DIRECTOR, scope_object=site)
        assert self.entry(JournalAction.ROLE_GRANTED).groupement_id is None

    @pytest.mark.parametrize(
        ("role", "scope"),
        [
            (Role.ARS_REVIEWER, lambda: Region.objects.get(code="75")),
            (Role.DEPARTEMENT_READER, lambda: Departement.objects.get(code="23")),
            (Role.PLATFORM_ADMIN, lambda: None),
        ],
    )
    def test_roles_on_a_territory_or_the_platform_are_platform_wide(self, role, scope):
        assignment = role_grant(user=UserFactory(), role=role, scope_object=scope())
        assert self.entry(JournalAction.ROLE_GRANTED).groupement_id is None
        role_revoke(assignment=RoleAssignment.objects.get(pk=assignment.pk))
        assert self.entry(JournalAction.ROLE_REVOKED).groupement_id is None


class TestJournalGroupementOf:
    def test_prefers_the_gtsms_where_the_entity_is_a_member(self):
        gtsms_membership = MembershipFactory(admitted_on="2026-02-01")
        gcsms = GroupementFactory(kind=GroupementKind.GCSMS)
        MembershipFactory(groupement=gcsms, legal_entity=gtsms_membership.legal_entity, admitted_on="2025-01-01")
        assert (
            selectors.journal_groupement_of(legal_entity_id=gtsms_membership.legal_entity_id)
            == gtsms_membership.groupement_id
        )

    def test_a_partner_or_a_former_member_is_in_no_groupement(self):
        partner = MembershipFactory(partner=True)
        former = MembershipFactory(withdrawn=True)
        assert selectors.journal_groupement_of(legal_entity_id=partner.legal_entity_id) is None
        assert (
            selectors.journal_groupement_of(legal_entity_id=former.legal_entity_id, day=datetime.date(2027, 1, 1))
            is None
        )
        assert (
            selectors.journal_groupement_of(legal_entity_id=former.legal_entity_id, day=datetime.date(2026, 12, 31))
            == former.groupement_id
        )


class TestGroupementJournal:
    def test_reads_the_indexed_column_not_the_fact(self):
        groupement, other = GroupementFactory(), GroupementFactory()
        mine = journal_record(action=JournalAction.DOCUMENT_DOWNLOADED, groupement=groupement, facts={})
        journal_record(action=JournalAction.MEMBER_ADMITTED, groupement=other, facts={"groupement": groupement.pk})
        assert list(selectors.groupement_journal(groupement=groupement)) == [mine]

    def test_the_latest_first_and_at_most_the_limit(self):
        groupement = GroupementFactory()
        entries = [journal_record(action=JournalAction.MEMBER_ADMITTED, groupement=groupement) for _ in range(4)]
        assert list(selectors.groupement_journal(groupement=groupement, limit=3)) == entries[::-1][:3]

    def test_uses_the_groupement_index(self):
        groupement = GroupementFactory()
        sql, params = selectors.groupement_journal(groupement=groupement).query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert "journal_groupement_at" in plan
