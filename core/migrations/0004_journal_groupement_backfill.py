"""Journal entries written before ``JournalEntry.groupement`` existed get their groupement.

In this order, each step only filling entries still without one:

1. the ``groupement`` fact, when it names an existing groupement (memberships, documents);
2. the target: a groupement itself, a membership, a document or a generation job (their groupement);
3. a role granted or revoked on a groupement: the role assignment of the target user with that role
   on the groupement of the ``scope_id`` fact;
4. a role on an establishment, or a GHT membership: the groupement the legal entity was a member of
   on the entry's day (a GTSMS first, then the earliest admission; partners excepted), the rule of
   ``members.selectors.journal_groupement_of`` that the writers apply today.

Entries none of these name stay platform-wide (``NULL``): FINESS imports, permission syncs, disabled
accounts, roles on a région or a département.

The journal is append-only (trigger ``journal_append_only``): the updates run inside
``pgtrigger.ignore`` for this one trigger, in the migration's transaction. Values are frozen here
(``'PARTNER'``, ``'GTSMS'``, the action codes) so that later changes of the enums do not change
what this migration did.
"""

import pgtrigger
from django.db import migrations


TRIGGER = "core.JournalEntry:journal_append_only"

# The entry's day, in the project's time zone (settings.TIME_ZONE).
ENTRY_DAY = "(j.at AT TIME ZONE 'Europe/Paris')::date"

# The groupement a legal entity (SQL expression ``{entity}``) was a member of on the entry's day.
ENTITY_GROUPEMENT = f"""
    SELECT m.groupement_id FROM {{membership}} AS m
    WHERE m.legal_entity_id = {{entity}}
      AND m.category <> 'PARTNER'
      AND m.admitted_on <= {ENTRY_DAY}
      AND (m.left_on IS NULL OR m.left_on > {ENTRY_DAY})
    ORDER BY (m.groupement_kind = 'GTSMS') DESC, m.admitted_on, m.id
    LIMIT 1
"""


def backfill_journal_groupement(apps, schema_editor) -> int:
    """Fill ``groupement`` on the entries that lack it; returns the number of entries filled."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    journal = apps.get_model("core", "JournalEntry")._meta.db_table
    groupement = apps.get_model("members", "Groupement")._meta.db_table
    membership = apps.get_model("members", "Membership")._meta.db_table
    establishment = apps.get_model("members", "Establishment")._meta.db_table
    assignment = apps.get_model("accounts", "RoleAssignment")._meta.db_table

    def content_type(app_label: str, model: str) -> int | None:
        return ContentType.objects.filter(app_label=app_label, model=model).values_list("pk", flat=True).first()

    statements: list[tuple[str, list]] = [
        (
            f"""UPDATE {journal} AS j SET groupement_id = g.id FROM {groupement} AS g
                WHERE j.groupement_id IS NULL AND g.id::text = j.facts->>'groupement'""",
            [],
        )
    ]
    targets = [
        ("members", "groupement", "id"),
        ("members", "membership", "groupement_id"),
        ("documents", "document", "groupement_id"),
        ("documents", "generationjob", "groupement_id"),
    ]
    for app_label, model, column in targets:
        type_id = content_type(app_label, model)
        if type_id is None:
            continue  # no row of this model was ever journaled (content types come after migrate)
        table = apps.get_model(app_label, model)._meta.db_table
        statements.append(
            (
                f"""UPDATE {journal} AS j SET groupement_id = t.{column} FROM {table} AS t
                    WHERE j.groupement_id IS NULL AND j.target_type_id = %s AND j.target_id = t.id::text""",
                [type_id],
            )
        )
    user_type = content_type("accounts", "user")
    if user_type is not None:
        role_assignment = f"""
            {assignment} AS ra WHERE ra.user_id::text = j.target_id AND ra.role = j.facts->>'role'
            AND j.target_type_id = %s AND j.action IN ('ROLE_GRANTED', 'ROLE_REVOKED')"""
        statements.append(
            (
                f"""UPDATE {journal} AS j SET groupement_id = ra.groupement_id FROM {role_assignment}
                    AND j.groupement_id IS NULL AND ra.groupement_id::text = j.facts->>'scope_id'""",
                [user_type],
            )
        )
        site_entity = f"(SELECT e.legal_entity_id FROM {establishment} AS e WHERE e.id::text = j.facts->>'scope_id')"
        statements.append(
            (
                f"""UPDATE {journal} AS j
                    SET groupement_id = ({ENTITY_GROUPEMENT.format(membership=membership, entity=site_entity)})
                    WHERE j.groupement_id IS NULL
                    AND ({ENTITY_GROUPEMENT.format(membership=membership, entity=site_entity)}) IS NOT NULL
                    AND EXISTS (
                        SELECT 1 FROM {role_assignment} AND ra.establishment_id::text = j.facts->>'scope_id'
                    )""",
                [user_type],
            )
        )
    entity = "(CASE WHEN j.facts->>'legal_entity' ~ '^[0-9]+$' THEN (j.facts->>'legal_entity')::bigint END)"
    statements.append(
        (
            f"""UPDATE {journal} AS j
                SET groupement_id = ({ENTITY_GROUPEMENT.format(membership=membership, entity=entity)})
                WHERE j.groupement_id IS NULL AND j.action IN ('GHT_MEMBERSHIP_RECORDED', 'DEROGATION_RECORDED')
                AND ({ENTITY_GROUPEMENT.format(membership=membership, entity=entity)}) IS NOT NULL""",
            [],
        )
    )
    filled = 0
    with pgtrigger.ignore(TRIGGER), schema_editor.connection.cursor() as cursor:
        for sql, params in statements:
            cursor.execute(sql, params)
            filled += max(cursor.rowcount, 0)
    return filled


def forwards(apps, schema_editor) -> None:
    backfill_journal_groupement(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_constraint_messages"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("core", "0003_journal_groupement"),
        ("documents", "0001_initial"),
        ("members", "0006_rights_declared_by_rooms"),
    ]

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
