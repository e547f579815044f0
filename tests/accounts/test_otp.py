"""Two-factor sign-in (django-otp, TOTP) for the roles of OTP_REQUIRED_ROLES: enrolment with a QR code
rendered on the server, backup codes, a code at each sign-in, recovery by an administrator."""

import html
import re

import pytest
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.enums import Role
from accounts.services import otp_reset
from core.enums import JournalAction
from core.models import JournalEntry
from core.perms import RightRequired
from tests.members.factories import GroupementFactory


pytestmark = pytest.mark.django_db

LOGIN = "/comptes/connexion/"
ENROL = "/comptes/double-authentification/activer/"
VERIFY = "/comptes/double-authentification/"


@pytest.fixture(autouse=True)
def second_factor_on(settings):
    settings.OTP_REQUIRED_ROLES = ["PLATFORM_ADMIN", "GROUPEMENT_DIRECTOR"]


@pytest.fixture
def groupement(db):
    return GroupementFactory(slug="gtsms-creuse")


@pytest.fixture
def director(user_with_role, groupement):
    return user_with_role(Role.GROUPEMENT_DIRECTOR, groupement)


def code_for(device) -> str:
    device.refresh_from_db()
    return f"{TOTP(device.bin_key, device.step, device.t0, device.digits).token():06d}"


def sign_in(client, user, password):
    return client.post(LOGIN, {"username": user.email, "password": password})


def enrol(client, user, password) -> list[str]:
    sign_in(client, user, password)
    client.get(ENROL)
    device = TOTPDevice.objects.get(user=user)
    response = client.post(ENROL, {"token": code_for(device), "next": "/groupement/gtsms-creuse/"})
    return re.findall(r"<li><code>(\w+)</code></li>", response.content.decode())


class TestEnrolment:
    def test_a_director_is_sent_to_enrolment_and_sees_a_server_rendered_qr_code(self, client, director, password):
        response = sign_in(client, director, password)
        follow = client.get(response["Location"])
        assert follow.status_code == 302 and follow["Location"].startswith(ENROL)
        page = client.get(follow["Location"])
        body = page.content.decode()
        assert 'src="data:image/svg+xml' in body
        secret = re.search(r'<code id="otp-secret">([A-Z2-7 ]+)</code>', body).group(1)
        assert len(secret.replace(" ", "")) == 32
        assert client.get("/groupement/gtsms-creuse/").status_code == 302  # nothing else until enrolled

    def test_a_wrong_first_code_is_refused_with_the_field_named(self, client, director, password):
        sign_in(client, director, password)
        client.get(ENROL)
        response = client.post(ENROL, {"token": "000000"})
        assert response.status_code == 200 and "Ce code n" in html.unescape(response.content.decode())
        assert 'aria-invalid="true"' in response.content.decode()
        assert not TOTPDevice.objects.get(user=director).confirmed

    def test_enrolment_gives_ten_backup_codes_and_opens_the_pages(self, client, director, password):
        codes = enrol(client, director, password)
        assert len(codes) == 10 and len(set(codes)) == 10
        assert client.get("/groupement/gtsms-creuse/").status_code == 200
        assert JournalEntry.objects.filter(action=JournalAction.OTP_ENROLLED, target_id=str(director.pk)).count() == 1

    def test_roles_outside_the_setting_are_not_asked(self, client, user_with_role, groupement, password):
        staff = user_with_role(Role.GROUPEMENT_STAFF, groupement)
        sign_in(client, staff, password)
        assert client.get("/groupement/gtsms-creuse/").status_code == 200


class TestSignIn:
    def test_each_sign_in_asks_for_the_code(self, client, director, password):
        enrol(client, director, password)
        other = Client()
        sign_in(other, director, password)
        response = other.get("/groupement/gtsms-creuse/")
        assert response.status_code == 302 and response["Location"].startswith(VERIFY)
        wrong = other.post(VERIFY, {"token": "123456", "next": "/groupement/gtsms-creuse/"})
        assert wrong.status_code == 200 and "pas valable" in wrong.content.decode()
        device = TOTPDevice.objects.get(user=director)
        device.throttling_failure_count = 0
        device.throttling_failure_timestamp = None
        device.last_t = -1
        device.save()
        ok = other.post(VERIFY, {"token": code_for(device), "next": "/groupement/gtsms-creuse/"})
        assert ok.status_code == 302 and ok["Location"] == "/groupement/gtsms-creuse/"
        assert other.get("/groupement/gtsms-creuse/").status_code == 200

    def test_a_backup_code_works_once(self, client, director, password):
        codes = enrol(client, director, password)
        first, second = Client(), Client()
        sign_in(first, director, password)
        assert first.post(VERIFY, {"token": codes[0]})["Location"] == "/"
        sign_in(second, director, password)
        assert second.post(VERIFY, {"token": codes[0]}).status_code == 200
        assert StaticDevice.objects.get(user=director).token_set.count() == 9

    def test_an_open_redirect_is_not_followed(self, client, director, password):
        codes = enrol(client, director, password)
        other = Client()
        sign_in(other, director, password)
        assert other.post(VERIFY, {"token": codes[1], "next": "https://ailleurs.example/"})["Location"] == "/"


class TestRecovery:
    def test_an_administrator_resets_the_second_factor_and_the_sessions_end(
        self, client, director, password, user_with_role
    ):
        enrol(client, director, password)
        admin = user_with_role(Role.PLATFORM_ADMIN)
        otp_reset(user=director, actor=admin)
        assert not TOTPDevice.objects.filter(user=director).exists()
        assert not StaticDevice.objects.filter(user=director).exists()
        assert client.get("/groupement/gtsms-creuse/")["Location"].startswith(LOGIN)
        entry = JournalEntry.objects.get(action=JournalAction.OTP_RESET)
        assert entry.actor_id == admin.pk and entry.facts["sessions_ended"] == 1
        sign_in(client, director, password)
        assert client.get("/groupement/gtsms-creuse/")["Location"].startswith(ENROL)

    def test_only_an_administrator_may_reset(self, director, user_with_role, groupement):
        staff = user_with_role(Role.GROUPEMENT_STAFF, groupement)
        with pytest.raises(RightRequired):
            otp_reset(user=director, actor=staff)

    def test_the_admin_action_resets(self, client, director, password, user_with_role):
        enrol(Client(), director, password)
        admin = user_with_role(Role.PLATFORM_ADMIN)
        admin_client = Client()
        admin_client.force_login(admin)
        TOTPDevice.objects.create(user=admin, name="a", confirmed=True)
        device = TOTPDevice.objects.get(user=admin)
        sign_in(admin_client, admin, password)
        admin_client.post(VERIFY, {"token": code_for(device)})
        response = admin_client.post(
            "/admin/accounts/user/", {"action": "otp_reset", "_selected_action": [director.pk]}, follow=True
        )
        assert response.status_code == 200
        assert not TOTPDevice.objects.filter(user=director).exists()


def test_the_demo_director_signs_in_with_the_published_secret(client, password):
    """The README's demo secret opens the Creuse director's account (a device like demo_totp_device's)."""
    from demo.people import DEMO_TOTP_KEY_HEX, demo_totp_device
    from tests.accounts.factories import UserFactory

    director = UserFactory()
    from accounts.services import role_grant

    role_grant(user=director, role=Role.GROUPEMENT_DIRECTOR, scope_object=GroupementFactory(slug="gtsms-creuse"))
    device = demo_totp_device(user=director)
    assert device.key == DEMO_TOTP_KEY_HEX and device.confirmed
    assert demo_totp_device(user=director).pk == device.pk
    sign_in(client, director, password)
    code = f"{TOTP(bytes.fromhex('6774736d732d64656d6f2d746f74702d32303238')).token():06d}"
    assert client.post(VERIFY, {"token": code})["Location"] == "/"
