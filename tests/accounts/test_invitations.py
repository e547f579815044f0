"""Invitations end to end: sent by the worker to a real SMTP server, accepted from the link, refused when
the link is wrong, expired, used or cancelled; the Personnes pages, their query counts, tenant isolation."""

import datetime
import html
import re

import pytest
import time_machine
from django.contrib.sessions.models import Session

from accounts.enums import Role
from accounts.models import Invitation, RoleAssignment, User
from accounts.services import invitation_cancel, invitation_create, invitation_resend, role_revoke
from core.enums import JournalAction
from core.exceptions import BusinessRuleError
from core.models import JournalEntry
from members.models import Departement, Region
from tests.accounts.factories import UserFactory
from tests.members.factories import EstablishmentFactory, GroupementFactory, MembershipFactory


pytestmark = pytest.mark.django_db

LINK = re.compile(r"http://127\.0\.0\.1:8000(/comptes/invitation/[^/\s]+/)")
NEW_PASSWORD = "cheval-agrafe-pile-correcte"


def text(response) -> str:
    return html.unescape(response.content.decode())


@pytest.fixture
def groupement(db):
    return GroupementFactory(name="GTSMS de la Creuse", slug="gtsms-creuse")


@pytest.fixture
def member(groupement):
    establishment = EstablishmentFactory(name="EHPAD LES GENETS")
    MembershipFactory(groupement=groupement, legal_entity=establishment.legal_entity)
    return establishment


@pytest.fixture
def director(user_with_role, groupement):
    return user_with_role(Role.GROUPEMENT_DIRECTOR, groupement, first_name="Claire", last_name="Martin")


def invite(smtp_server, capture, *, actor, email="paul.bernard@exemple.fr", role=Role.GROUPEMENT_STAFF, scope, **kw):
    """Invite, let the worker send the mail, return (invitation, link path read from the received mail)."""
    before = len(smtp_server.received)
    with capture(execute=True):
        invitation = invitation_create(email=email, role=role, scope_object=scope, actor=actor, **kw)
    assert len(smtp_server.received) == before + 1
    return invitation, LINK.search(smtp_server.received[-1].text).group(1)


class TestSending:
    def test_the_invitation_mail_is_french_names_the_groupement_and_carries_a_link(
        self, smtp_server, django_capture_on_commit_callbacks, director, groupement
    ):
        invitation, path = invite(smtp_server, django_capture_on_commit_callbacks, actor=director, scope=groupement)
        received = smtp_server.received[0]
        assert received.rcpt_tos == ["paul.bernard@exemple.fr"]
        assert received.subject == "[GTSMS de la Creuse] Invitation : équipe du groupement"
        assert "Claire Martin vous invite à rejoindre gtsms" in received.text
        assert "valable 7 jours" in received.text
        assert path in received.html
        token = path.split("/")[-2]
        assert token not in invitation.token_hash and len(invitation.token_hash) == 64
        entry = JournalEntry.objects.get(action=JournalAction.INVITATION_SENT)
        assert entry.groupement_id == groupement.pk and entry.actor_id == director.pk
        assert JournalEntry.objects.get(action=JournalAction.MAIL_SENT).groupement_id == groupement.pk

    def test_inviting_the_same_address_again_resends_the_open_invitation(
        self, smtp_server, django_capture_on_commit_callbacks, director, groupement, client
    ):
        first, old_path = invite(smtp_server, django_capture_on_commit_callbacks, actor=director, scope=groupement)
        again, new_path = invite(smtp_server, django_capture_on_commit_callbacks, actor=director, scope=groupement)
        assert again.pk == first.pk and again.sent_count == 2
        assert client.get(old_path).status_code == 410  # the previous link stops working
        assert client.get(new_path).status_code == 200

    def test_someone_who_already_has_the_role_is_not_invited(self, director, groupement, user_with_role):
        staff = user_with_role(Role.GROUPEMENT_STAFF, groupement)
        with pytest.raises(BusinessRuleError, match="a déjà le rôle"):
            invitation_create(email=staff.email, role=Role.GROUPEMENT_STAFF, scope_object=groupement, actor=director)

    def test_invitations_are_rate_limited_per_inviter(self, settings, director, groupement):
        settings.INVITATIONS_PER_HOUR = 2
        for n in range(2):
            invitation_create(
                email=f"p{n}@exemple.fr", role=Role.GROUPEMENT_STAFF, scope_object=groupement, actor=director
            )
        with pytest.raises(BusinessRuleError, match="en une heure"):
            invitation_create(
                email="p3@exemple.fr", role=Role.GROUPEMENT_STAFF, scope_object=groupement, actor=director
            )
        with time_machine.travel(datetime.datetime.now(tz=datetime.UTC) + datetime.timedelta(minutes=61)):
            invitation_create(
                email="p3@exemple.fr", role=Role.GROUPEMENT_STAFF, scope_object=groupement, actor=director
            )


class TestAccepting:
    def test_a_new_person_sets_a_password_gets_the_role_and_signs_in(
        self, smtp_server, django_capture_on_commit_callbacks, director, groupement, client
    ):
        invitation, path = invite(smtp_server, django_capture_on_commit_callbacks, actor=director, scope=groupement)
        page = client.get(path)
        assert page.status_code == 200 and "Créez votre compte" in text(page)
        response = client.post(
            path, {"first_name": "Paul", "last_name": "Bernard", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
        )
        assert response.status_code == 302 and response["Location"] == "/comptes/connexion/"
        user = User.objects.get(email="paul.bernard@exemple.fr")
        assignment = RoleAssignment.objects.active().get(user=user)
        assert (assignment.role, assignment.groupement_id, assignment.granted_by_id) == (
            Role.GROUPEMENT_STAFF,
            groupement.pk,
            director.pk,
        )
        invitation.refresh_from_db()
        assert invitation.accepted_by_id == user.pk
        assert (
            JournalEntry.objects.filter(action=JournalAction.INVITATION_ACCEPTED, groupement=groupement).count() == 1
        )
        signed_in = client.post("/comptes/connexion/", {"username": user.email, "password": NEW_PASSWORD}, follow=True)
        assert signed_in.redirect_chain[-1][0] == f"/groupement/{groupement.slug}/"

    def test_a_used_link_gets_a_clear_page_and_changes_nothing(
        self, smtp_server, django_capture_on_commit_callbacks, director, groupement, client
    ):
        _, path = invite(smtp_server, django_capture_on_commit_callbacks, actor=director, scope=groupement)
        data = {"first_name": "Paul", "last_name": "Bernard", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
        client.post(path, data)
        again = client.post(
            path, {**data, "password1": "autre-phrase-bien-longue", "password2": "autre-phrase-bien-longue"}
        )
        assert again.status_code == 410
        assert "a déjà été acceptée" in text(again)
        assert User.objects.get(email="paul.bernard@exemple.fr").check_password(NEW_PASSWORD)

    def test_an_expired_link_is_refused_after_seven_days(
        self, smtp_server, django_capture_on_commit_callbacks, director, groupement, client
    ):
        _, path = invite(smtp_server, django_capture_on_commit_callbacks, actor=director, scope=groupement)
        later = datetime.datetime.now(tz=datetime.UTC) + datetime.timedelta(days=7, minutes=1)
        with time_machine.travel(later):
            response = client.get(path)
        assert response.status_code == 410 and "a expiré" in text(response)

    @pytest.mark.parametrize("path", ["/comptes/invitation/faux-jeton/", "/comptes/invitation/" + "x" * 200 + "/"])
    def test_a_wrong_or_altered_link_is_refused(self, client, path):
        response = client.get(path)
        assert response.status_code == 410 and "n'est pas valable" in text(response)

    def test_a_cancelled_invitation_no_longer_works(
        self, smtp_server, django_capture_on_commit_callbacks, director, groupement, client
    ):
        invitation, path = invite(smtp_server, django_capture_on_commit_callbacks, actor=director, scope=groupement)
        invitation_cancel(invitation=invitation, actor=director)
        response = client.post(
            path, {"first_name": "P", "last_name": "B", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
        )
        assert response.status_code == 410 and "annulée" in text(response)
        assert not User.objects.filter(email="paul.bernard@exemple.fr").exists()
        assert JournalEntry.objects.filter(action=JournalAction.INVITATION_CANCELLED).count() == 1

    def test_a_weak_password_is_refused_with_the_field_named(
        self, smtp_server, django_capture_on_commit_callbacks, director, groupement, client
    ):
        _, path = invite(smtp_server, django_capture_on_commit_callbacks, actor=director, scope=groupement)
        response = client.post(
            path, {"first_name": "Paul", "last_name": "Bernard", "password1": "court", "password2": "court"}
        )
        assert response.status_code == 200
        assert 'aria-invalid="true"' in text(response) and "id_password1_error" in text(response)
        assert not User.objects.filter(email="paul.bernard@exemple.fr").exists()

    def test_an_existing_account_signs_in_then_gets_the_role_without_a_second_account(
        self, smtp_server, django_capture_on_commit_callbacks, director, groupement, member, client, password
    ):
        person = UserFactory(email="paul.bernard@exemple.fr")
        _, path = invite(
            smtp_server,
            django_capture_on_commit_callbacks,
            actor=director,
            role=Role.ESTABLISHMENT_DIRECTOR,
            scope=member,
            groupement=groupement,
        )
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith(
            "/comptes/connexion/?next=/comptes/invitation/"
        )
        client.post("/comptes/connexion/", {"username": person.email, "password": password})
        assert "Accepter le rôle" in client.get(path).content.decode()
        assert client.post(path).status_code == 302
        assert User.objects.filter(email=person.email).count() == 1
        assert RoleAssignment.objects.active().get(user=person).establishment_id == member.pk

    def test_a_link_opened_by_another_signed_in_person_is_refused(
        self, smtp_server, django_capture_on_commit_callbacks, director, groupement, client
    ):
        _, path = invite(smtp_server, django_capture_on_commit_callbacks, actor=director, scope=groupement)
        client.force_login(director)
        response = client.post(path)
        assert response.status_code == 403 and "adressée à une autre personne" in text(response)
        assert not RoleAssignment.objects.filter(role=Role.GROUPEMENT_STAFF).exists()

    def test_an_invitation_from_someone_who_lost_the_right_no_longer_works(
        self, smtp_server, django_capture_on_commit_callbacks, director, groupement, client
    ):
        _, path = invite(smtp_server, django_capture_on_commit_callbacks, actor=director, scope=groupement)
        role_revoke(assignment=RoleAssignment.objects.get(user=director))
        response = client.post(
            path, {"first_name": "P", "last_name": "B", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
        )
        assert response.status_code == 410 and "n'a plus le droit" in text(response)


class TestPeoplePage:
    def url(self, groupement):
        return f"/groupement/{groupement.slug}/personnes/"

    def test_the_director_invites_from_the_page(
        self, client, director, groupement, member, django_capture_on_commit_callbacks, smtp_server
    ):
        client.force_login(director)
        page = client.get(self.url(groupement))
        assert page.status_code == 200 and "Inviter une personne" in text(page)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                self.url(groupement),
                {"email": "Jeanne.Roux@Exemple.fr", "role": Role.ESTABLISHMENT_DIRECTOR, "establishment": member.pk},
            )
        assert response.status_code == 302
        invitation = Invitation.objects.get()
        assert (invitation.email, invitation.establishment_id, invitation.groupement_id) == (
            "jeanne.roux@exemple.fr",
            member.pk,
            groupement.pk,
        )
        assert smtp_server.received[0].rcpt_tos == ["jeanne.roux@exemple.fr"]

    def test_an_establishment_director_without_an_establishment_names_the_field(
        self, client, director, groupement, member
    ):
        client.force_login(director)
        response = client.post(self.url(groupement), {"email": "a@exemple.fr", "role": Role.ESTABLISHMENT_DIRECTOR})
        assert response.status_code == 200
        assert "Choisissez l'établissement" in text(response)

    def test_staff_see_the_people_but_cannot_invite(self, client, user_with_role, groupement):
        staff = user_with_role(Role.GROUPEMENT_STAFF, groupement)
        client.force_login(staff)
        page = client.get(self.url(groupement))
        assert page.status_code == 200 and "Inviter une personne" not in text(page)
        assert (
            client.post(self.url(groupement), {"email": "x@exemple.fr", "role": Role.GROUPEMENT_STAFF}).status_code
            == 403
        )

    def test_a_director_cannot_invite_revoke_resend_or_cancel_in_another_groupement(
        self, client, director, user_with_role
    ):
        other = GroupementFactory()
        other_director = user_with_role(Role.GROUPEMENT_DIRECTOR, other)
        other_staff = user_with_role(Role.GROUPEMENT_STAFF, other)
        invitation = invitation_create(
            email="z@exemple.fr", role=Role.GROUPEMENT_STAFF, scope_object=other, actor=other_director
        )
        client.force_login(director)
        assert client.get(self.url(other)).status_code == 403
        assert (
            client.post(self.url(other), {"email": "x@exemple.fr", "role": Role.GROUPEMENT_STAFF}).status_code == 403
        )
        assignment = RoleAssignment.objects.get(user=other_staff)
        assert client.post(f"/comptes/roles/{assignment.pk}/retirer/").status_code == 403
        assert client.post(f"/comptes/invitations/{invitation.public_id}/renvoyer/").status_code == 403
        assert client.post(f"/comptes/invitations/{invitation.public_id}/annuler/").status_code == 403
        assignment.refresh_from_db()
        invitation.refresh_from_db()
        assert assignment.revoked_at is None and invitation.is_open and invitation.sent_count == 1

    def test_revoking_the_last_role_ends_the_persons_sessions(
        self, client, director, groupement, user_with_role, password
    ):
        from django.test import Client

        staff = user_with_role(Role.GROUPEMENT_STAFF, groupement)
        staff_client = Client()
        staff_client.post("/comptes/connexion/", {"username": staff.email, "password": password})
        assert staff_client.get(self.url(groupement)).status_code == 200
        client.force_login(director)
        assignment = RoleAssignment.objects.get(user=staff)
        response = client.post(f"/comptes/roles/{assignment.pk}/retirer/", {"next": self.url(groupement)})
        assert response.status_code == 302 and response["Location"] == self.url(groupement)
        assignment.refresh_from_db()
        assert assignment.revoked_at is not None and assignment.revoked_by_id == director.pk
        assert staff_client.get(self.url(groupement))["Location"].startswith("/comptes/connexion/")
        assert not Session.objects.filter(session_key=staff_client.session.session_key).exists()
        assert JournalEntry.objects.filter(action=JournalAction.ROLE_REVOKED, groupement=groupement).count() == 1

    def test_a_director_cannot_revoke_their_own_role(self, client, director):
        client.force_login(director)
        assignment = RoleAssignment.objects.get(user=director)
        assert client.post(f"/comptes/roles/{assignment.pk}/retirer/").status_code == 403

    def test_resend_and_cancel_from_the_page(self, client, director, groupement):
        invitation = invitation_create(
            email="z@exemple.fr", role=Role.GROUPEMENT_STAFF, scope_object=groupement, actor=director
        )
        client.force_login(director)
        assert (
            client.post(
                f"/comptes/invitations/{invitation.public_id}/renvoyer/", {"next": "https://ailleurs.example/"}
            )["Location"]
            == "/"
        )
        invitation.refresh_from_db()
        assert invitation.sent_count == 2
        client.post(f"/comptes/invitations/{invitation.public_id}/annuler/")
        invitation.refresh_from_db()
        assert invitation.cancelled_by_id == director.pk
        with pytest.raises(BusinessRuleError):
            invitation_resend(invitation=invitation, actor=director)

    @pytest.mark.parametrize("rows", [1, 6])
    def test_the_page_costs_the_same_queries_for_one_or_many_rows(
        self, client, director, groupement, user_with_role, django_assert_num_queries, rows
    ):
        for n in range(rows):
            establishment = EstablishmentFactory()
            MembershipFactory(groupement=groupement, legal_entity=establishment.legal_entity)
            user_with_role(Role.ESTABLISHMENT_DIRECTOR, establishment)
            user_with_role(Role.GROUPEMENT_STAFF, groupement)
            invitation_create(
                email=f"i{n}@exemple.fr", role=Role.GROUPEMENT_STAFF, scope_object=groupement, actor=director
            )
        client.force_login(director)
        client.get(self.url(groupement))
        # session, user, groupement, 2 guardian (user and group perms), the user's roles, people, invitations,
        # the member establishments of the form (a server-side cursor: DECLARE and its fetches).
        with django_assert_num_queries(11):
            response = client.get(self.url(groupement))
        assert response.content.decode().count("Retirer le rôle") == 2 * rows
        assert response.content.decode().count("Renvoyer") == rows


class TestRegionPage:
    def url(self, code="75"):
        return f"/comptes/region/{code}/personnes/"

    def test_an_ars_agent_invites_a_colleague_and_a_departement_reader(self, client, user_with_role):
        agent = user_with_role(Role.ARS_REVIEWER, Region.objects.get(code="75"))
        client.force_login(agent)
        assert (
            client.post(self.url(), {"email": "collegue@ars.exemple.fr", "role": Role.ARS_REVIEWER}).status_code == 302
        )
        response = client.post(
            self.url(), {"email": "cd@exemple.fr", "role": Role.DEPARTEMENT_READER, "departement": "23"}
        )
        assert response.status_code == 302
        assert set(Invitation.objects.values_list("role", "region_id", "departement_id")) == {
            (Role.ARS_REVIEWER, "75", None),
            (Role.DEPARTEMENT_READER, None, "23"),
        }

    def test_an_ars_agent_cannot_invite_a_reader_of_another_regions_departement(self, client, user_with_role):
        client.force_login(user_with_role(Role.ARS_REVIEWER, Region.objects.get(code="75")))
        response = client.post(
            self.url(), {"email": "cd@exemple.fr", "role": Role.DEPARTEMENT_READER, "departement": "48"}
        )
        assert response.status_code == 200 and "Sélectionnez un choix valide" in text(response)
        assert client.get(self.url("76")).status_code == 403
        assert not Invitation.objects.exists()

    def test_a_departement_reader_invites_no_one(self, client, user_with_role):
        client.force_login(user_with_role(Role.DEPARTEMENT_READER, Departement.objects.get(code="23")))
        assert client.get(self.url()).status_code == 403
        assert client.post(self.url(), {"email": "x@exemple.fr", "role": Role.ARS_REVIEWER}).status_code == 403

    def test_the_platform_admin_invites_the_first_agent(self, client, user_with_role):
        client.force_login(user_with_role(Role.PLATFORM_ADMIN))
        page = client.get(self.url("76"))
        assert page.status_code == 200 and "Lecteur du conseil départemental" not in text(page)
        assert (
            client.post(self.url("76"), {"email": "premier@ars.exemple.fr", "role": Role.ARS_REVIEWER}).status_code
            == 302
        )
        assert Invitation.objects.get().region_id == "76"

    @pytest.mark.parametrize("rows", [1, 5])
    def test_the_page_costs_the_same_queries_for_one_or_many_rows(
        self, client, user_with_role, django_assert_num_queries, rows
    ):
        region = Region.objects.get(code="75")
        agent = user_with_role(Role.ARS_REVIEWER, region)
        for n in range(rows):
            user_with_role(Role.ARS_REVIEWER, region)
            user_with_role(Role.DEPARTEMENT_READER, Departement.objects.get(code="23"))
            invitation_create(email=f"i{n}@exemple.fr", role=Role.ARS_REVIEWER, scope_object=region, actor=agent)
        client.force_login(agent)
        client.get(self.url())
        # session, user, région, the user's roles, people, invitations, the départements of the form.
        with django_assert_num_queries(9):
            client.get(self.url())
