"""The reads of "what this user may see" and the admission search keep their plan at national size.

A national-size establishments table is made cheaply in SQL (copies of one row, triggers off), then
the same reads are asked on the small and on the big table: the same number of queries, and
PostgreSQL reads a handful of rows of the big table (EXPLAIN ANALYZE), not all of it.
"""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.enums import Role
from members import selectors
from members.models import Establishment, LegalEntity
from tests.members.factories import EstablishmentFactory, GroupementFactory, LegalEntityFactory, MembershipFactory


pytestmark = pytest.mark.django_db

BIG = 50_000  # a third of FINESS: enough for a scan to show, quick to make


def grow(model, *, rows: int, prefix: str) -> None:
    """Copy the first row of ``model`` ``rows`` times with new FINESS numbers and names (as wide as FINESS rows;
    no trigger), then ANALYZE, as after an import."""
    table = model._meta.db_table
    own = ("id", "finess", "name", "long_name", "street_name", "routing_line")
    columns = [f.column for f in model._meta.concrete_fields if f.column not in own]
    names = ", ".join(f'"{c}"' for c in columns)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")  # no pghistory trigger for copies
        cursor.execute(
            f"INSERT INTO {table} (finess, name, long_name, street_name, routing_line, {names}) "  # noqa: S608
            f"SELECT %s || lpad(n::text, 7, '0'), 'ENTITE COPIEE ' || n, 'ENTITE COPIEE POUR LA MESURE NUMERO ' || n, "
            f"'RUE DE LA MESURE ' || n, '23000 GUERET CEDEX', {names} FROM {table}, generate_series(1, %s) AS n "
            f"WHERE id = (SELECT min(id) FROM {table})",
            [prefix, rows],
        )
        cursor.execute("SET LOCAL session_replication_role = origin")
        # What autovacuum does after an import: merge the GIN pending lists, refresh the statistics.
        cursor.execute(
            "SELECT gin_clean_pending_list(indexrelid) FROM pg_index JOIN pg_class ON pg_class.oid = indexrelid "
            "JOIN pg_am ON pg_am.oid = relam WHERE indrelid = %s::regclass AND amname = 'gin'",
            [table],
        )
        cursor.execute(f"ANALYZE {table}")


def rows_read(sql: str, params, table: str) -> int:
    """Rows PostgreSQL read from ``table`` (every scan node on it, all loops) to answer ``sql``."""
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan

    def walk(node) -> int:
        own = 0
        if node.get("Relation Name") == table:
            own = node["Actual Rows"] * node["Actual Loops"] + node.get("Rows Removed by Filter", 0)
        return own + sum(walk(child) for child in node.get("Plans", []))

    return walk(plan[0]["Plan"])


def measured(read):
    """(number of queries, rows read from the establishments table by the main one) of ``read()``."""
    with CaptureQueriesContext(connection) as queries:
        read()
    main = max(queries.captured_queries, key=lambda q: "members_establishment" in q["sql"])
    return len(queries), rows_read(main["sql"], None, Establishment._meta.db_table)


def test_the_portal_reads_the_directed_establishments_only(user_with_role):
    site = EstablishmentFactory()
    director = user_with_role(Role.ESTABLISHMENT_DIRECTOR, site)
    small = measured(lambda: selectors.portal_for_user(user=director))
    grow(Establishment, rows=BIG, prefix="77")
    assert Establishment.objects.count() > BIG
    big = measured(lambda: selectors.portal_for_user(user=director))
    assert big[0] == small[0]  # same number of queries
    assert big[1] <= 5, big  # a few rows of 50,000, not a scan
    assert [card.establishment for card in selectors.portal_for_user(user=director)] == [site]


def test_a_platform_administrator_portal_is_not_all_of_finess(user_with_role):
    EstablishmentFactory()
    admin = user_with_role(Role.PLATFORM_ADMIN)
    assert selectors.portal_for_user(user=admin) == []


def test_the_groupement_list_reads_the_users_groupements_only(user_with_role):
    groupement = GroupementFactory()
    GroupementFactory.create_batch(5)
    director = user_with_role(Role.GROUPEMENT_DIRECTOR, groupement)
    assert list(selectors.groupement_list_for_user(user=director)) == [groupement]
    admin = user_with_role(Role.PLATFORM_ADMIN)
    assert selectors.groupement_list_for_user(user=admin).count() == 6


def test_the_admission_search_reads_the_matches_not_the_table():
    entity = LegalEntityFactory(name="EHPAD LES TILLEULS", long_name="", finess="990000012")
    MembershipFactory(legal_entity=entity)
    grow(LegalEntity, rows=BIG, prefix="88")
    for query in ("990000", "tilleul"):
        with CaptureQueriesContext(connection) as queries:
            results = selectors.legal_entity_search(query=query)
        assert results[0] == entity
        assert len(queries) == 1
        read = rows_read(queries.captured_queries[0]["sql"], None, LegalEntity._meta.db_table)
        assert read <= 25, (query, read)  # the trigram and FINESS-prefix indexes, not 50,000 rows
