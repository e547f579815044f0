"""Each user sees their open sessions and ends them (one, or all the others); never someone else's."""

import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from accounts.enums import Role
from accounts.models import UserSession
from core.enums import JournalAction
from core.models import JournalEntry
from tests.members.factories import GroupementFactory


pytestmark = pytest.mark.django_db

LOGIN = "/comptes/connexion/"
SESSIONS = "/comptes/sessions/"


@pytest.fixture
def staff(user_with_role):
    return user_with_role(Role.GROUPEMENT_STAFF, GroupementFactory())


def signed_in(user, password, agent="Firefox de test"):
    client = Client(HTTP_USER_AGENT=agent)
    assert client.post(LOGIN, {"username": user.email, "password": password}).status_code == 302
    return client


def test_the_page_lists_the_open_sessions_with_the_current_one_marked(staff, password):
    first = signed_in(staff, password, "Firefox au bureau")
    signed_in(staff, password, "Chromium à la maison")
    body = first.get(SESSIONS).content.decode()
    assert "Firefox au bureau" in body and "Chromium à la maison" in body
    assert body.count("(cette session)") == 1 and body.count(">Fermer<") == 1


def test_ending_another_session_signs_it_out(staff, password):
    first = signed_in(staff, password)
    second = signed_in(staff, password)
    key = second.session.session_key
    assert first.post(SESSIONS, {"session": key}).status_code == 302
    assert not Session.objects.filter(session_key=key).exists()
    assert second.get("/groupement/")["Location"].startswith(LOGIN)
    assert first.get("/groupement/", follow=True).status_code == 200
    assert JournalEntry.objects.filter(action=JournalAction.SESSION_ENDED, actor=staff).count() == 1


def test_ending_all_the_others_keeps_this_one(staff, password):
    first = signed_in(staff, password)
    others = [signed_in(staff, password) for _ in range(2)]
    first.post(SESSIONS, {"all_others": "1"})
    assert list(UserSession.objects.filter(user=staff).values_list("session_key", flat=True)) == [
        first.session.session_key
    ]
    assert all(o.get("/groupement/")["Location"].startswith(LOGIN) for o in others)


def test_nobody_ends_someone_elses_session(staff, password, user_with_role):
    intruder = user_with_role(Role.GROUPEMENT_STAFF, GroupementFactory())
    victim = signed_in(staff, password)
    response = signed_in(intruder, password).post(SESSIONS, {"session": victim.session.session_key}, follow=True)
    assert "Cette session n" in response.content.decode()
    assert Session.objects.filter(session_key=victim.session.session_key).exists()


@pytest.mark.parametrize("count", [1, 4])
def test_the_page_costs_the_same_queries_for_one_or_many_sessions(staff, password, django_assert_num_queries, count):
    clients = [signed_in(staff, password) for _ in range(count)]
    clients[0].get(SESSIONS)
    # session, user, the open sessions, the navigation's roles, and the request's savepoint and release.
    with django_assert_num_queries(6):
        clients[0].get(SESSIONS)
