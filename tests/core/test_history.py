"""Row history by PostgreSQL triggers (django-pghistory): who, when, old → new, bulk changes included."""

import pghistory
import pytest
from pghistory.models import Events

from members.models import Groupement, LegalEntity
from tests.accounts.factories import UserFactory
from tests.members.factories import GroupementFactory, LegalEntityFactory


pytestmark = pytest.mark.django_db


def events_of(obj):
    return Events.objects.tracks(obj).order_by("pgh_created_at")


def test_queryset_update_is_recorded_with_old_and_new_values():
    groupement = GroupementFactory(name="Ancien nom")
    Groupement.objects.filter(pk=groupement.pk).update(name="Nouveau nom")
    update = events_of(groupement).filter(pgh_label="update").get()
    assert update.pgh_data["name"] == "Nouveau nom"
    assert update.pgh_diff["name"] == ["Ancien nom", "Nouveau nom"]


def test_bulk_create_and_bulk_update_are_recorded():
    entities = LegalEntity.objects.bulk_create([LegalEntityFactory.build(), LegalEntityFactory.build()])
    for entity in entities:
        entity.name = entity.name + " (renommée)"
    LegalEntity.objects.bulk_update(entities, ["name"])
    for entity in entities:
        assert list(events_of(entity).values_list("pgh_label", flat=True)) == ["insert", "update"]


def test_context_records_who_made_a_change_outside_requests():
    user = UserFactory()
    groupement = GroupementFactory()
    with pghistory.context(user=user.pk, source="test"):
        Groupement.objects.filter(pk=groupement.pk).update(seat_city="Mende")
    update = events_of(groupement).filter(pgh_label="update").get()
    assert update.pgh_context["user"] == user.pk


@pytest.mark.urls("tests.core.urls_history")
def test_the_request_user_is_attached_to_changes_made_in_a_request(client):
    user = UserFactory()
    groupement = GroupementFactory()
    client.force_login(user)
    assert client.post(f"/renommer/{groupement.pk}/", {"name": "Renommé"}).status_code == 200
    update = events_of(groupement).filter(pgh_label="update").get()
    assert update.pgh_context["user"] == user.pk
    assert update.pgh_context["url"] == f"/renommer/{groupement.pk}/"
