import pytest
from django.db import connection

from core.enums import JournalAction
from core.journal import journal_record
from core.models import JournalEntry, JournalImmutableError


pytestmark = pytest.mark.django_db


@pytest.fixture
def entry():
    return journal_record(action=JournalAction.FINESS_IMPORTED, groupement=None, facts={"read": 3})


def test_an_entry_can_be_appended(entry):
    assert JournalEntry.objects.get().facts == {"read": 3}


def test_an_entry_cannot_be_saved_again(entry):
    entry.facts = {"read": 4}
    with pytest.raises(JournalImmutableError):
        entry.save()


def test_an_entry_cannot_be_deleted(entry):
    with pytest.raises(JournalImmutableError):
        entry.delete()


def test_the_queryset_refuses_update_and_delete(entry):
    with pytest.raises(JournalImmutableError):
        JournalEntry.objects.update(facts={})
    with pytest.raises(JournalImmutableError):
        JournalEntry.objects.all().delete()


def test_the_database_refuses_update_and_delete_even_in_raw_sql(entry):
    from django.db import DatabaseError, transaction

    for sql in ("UPDATE core_journalentry SET facts = '{}'", "DELETE FROM core_journalentry"):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert JournalEntry.objects.get().facts == {"read": 3}
