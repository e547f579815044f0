import datetime

import pytest
import time_machine
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from accounts.enums import Role
from tests.members.factories import GroupementFactory


pytestmark = pytest.mark.django_db

LOGIN = "/comptes/connexion/"
START = datetime.datetime(2026, 11, 23, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def staff(user_with_role):
    return user_with_role(Role.GROUPEMENT_STAFF, GroupementFactory())


class TestLogin:
    def test_login_by_email_lands_on_the_home_of_the_role(self, client, staff, password):
        response = client.post(LOGIN, {"username": staff.email.upper(), "password": password}, follow=True)
        assert response.redirect_chain[-1][0].startswith("/groupement/")
        assert response.status_code == 200

    def test_wrong_password_gives_a_french_message(self, client, staff):
        response = client.post(LOGIN, {"username": staff.email, "password": "pas-le-bon-mot-de-passe"})
        assert response.status_code == 200
        assert "Adresse électronique ou mot de passe incorrect." in response.content.decode()

    def test_the_account_is_locked_after_ten_failures_then_released_after_fifteen_minutes(
        self, client, staff, password
    ):
        with time_machine.travel(START, tick=False) as clock:
            for _ in range(10):
                client.post(LOGIN, {"username": staff.email, "password": "mauvais-mot-de-passe-123"})
            response = client.post(LOGIN, {"username": staff.email, "password": password})
            assert response.status_code == 429
            assert "temporairement bloqué" in response.content.decode()
            clock.shift(datetime.timedelta(minutes=16))
            response = client.post(LOGIN, {"username": staff.email, "password": password})
            assert response.status_code == 302


class TestPasswords:
    @pytest.mark.parametrize("candidate", ["court123", "password1234", "123456789012"])
    def test_short_common_or_numeric_passwords_are_refused(self, candidate):
        with pytest.raises(ValidationError):
            validate_password(candidate)

    def test_a_long_uncommon_password_is_accepted(self):
        validate_password("cheval-agrafe-pile-correcte")


class TestSessionTimeouts:
    def login(self, client, user, password):
        assert client.post(LOGIN, {"username": user.email, "password": password}).status_code == 302

    def test_idle_for_thirty_one_minutes_asks_to_sign_in_again(self, client, staff, password):
        with time_machine.travel(START, tick=False) as clock:
            self.login(client, staff, password)
            clock.shift(datetime.timedelta(minutes=29))
            assert client.get("/groupement/").status_code in (200, 302)
            assert client.get("/groupement/", follow=True).redirect_chain[-1][0].startswith("/groupement/")
            clock.shift(datetime.timedelta(minutes=31))
            response = client.get("/groupement/")
            assert response.status_code == 302 and response["Location"].startswith(LOGIN)

    def test_twelve_hours_after_sign_in_the_session_ends_even_when_active(self, client, staff, password):
        with time_machine.travel(START, tick=False) as clock:
            self.login(client, staff, password)
            for _ in range(37):  # a request every 20 minutes, until just past 12 hours
                clock.shift(datetime.timedelta(minutes=20))
                response = client.get("/groupement/")
            assert response.status_code == 302 and response["Location"].startswith(LOGIN)

    def test_logout_ends_the_session(self, client, staff, password):
        self.login(client, staff, password)
        client.post("/comptes/deconnexion/")
        assert client.get("/groupement/").status_code == 302
