"""From the browser only: a new groupement director invites two establishment directors and a staff
member; the worker e-mails them (a real SMTP server on loopback); each opens the link, sets a password
and signs in."""

import re

import pytest

from accounts.enums import Role
from accounts.services import role_grant
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory
from tests.members.factories import EstablishmentFactory, GroupementFactory, MembershipFactory


pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LINK = re.compile(r"https?://[^/\s]+(/comptes/invitation/[^/\s]+/)")
NEW_PASSWORD = "cheval-agrafe-pile-correcte"


def sign_in(page, url, email, password):
    page.goto(f"{url}/comptes/connexion/")
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()


def test_a_director_brings_in_two_establishment_directors_and_a_staff_member(
    reference_data, live_server, page, browser, smtp_server, axe_violations
):
    groupement = GroupementFactory(name="GTSMS du Pays de Guéret", slug="gtsms-gueret")
    sites = [EstablishmentFactory(name="EHPAD LES GENETS"), EstablishmentFactory(name="EHPAD LA CHATAIGNERAIE")]
    for site in sites:
        MembershipFactory(groupement=groupement, legal_entity=site.legal_entity)
    director = UserFactory(email="direction@gueret.exemple.fr", first_name="Claire", last_name="Martin")
    role_grant(user=director, role=Role.GROUPEMENT_DIRECTOR, scope_object=groupement)

    sign_in(page, live_server.url, director.email, DEFAULT_PASSWORD)
    page.get_by_role("navigation", name="Rubriques du groupement").get_by_role("link", name="Personnes").click()
    page.wait_for_load_state()
    assert "Personnes du groupement GTSMS du Pays de Guéret" in page.locator("h1").inner_text()
    assert axe_violations(page) == []
    invitees = [
        ("equipe@gueret.exemple.fr", "Équipe du groupement", None),
        ("genets@gueret.exemple.fr", "Directeur d'établissement", sites[0]),
        ("chataigneraie@gueret.exemple.fr", "Directeur d'établissement", sites[1]),
    ]
    for email, role_label, site in invitees:
        page.get_by_label("Adresse électronique").fill(email)
        page.get_by_label(role_label, exact=True).check()
        if site is not None:
            page.get_by_role("combobox", name="Établissement").select_option(label=f"{site.name} ({site.finess})")
        page.get_by_role("button", name="Envoyer l'invitation", exact=True).click()
        page.wait_for_load_state()
        assert f"Invitation envoyée à {email}" in page.locator("main").inner_text()
    assert page.locator("#invitations-table tbody tr").count() == 3

    received = {mail.rcpt_tos[0]: mail for mail in smtp_server.received}
    assert set(received) == {email for email, _, _ in invitees}
    assert all(mail.subject.startswith("[GTSMS du Pays de Guéret] Invitation") for mail in received.values())

    for n, (email, _, site) in enumerate(invitees):
        context = browser.new_context(locale="fr-FR", bypass_csp=True)
        guest = context.new_page()
        guest.goto(live_server.url + LINK.search(received[email].text).group(1))
        assert "Créez votre compte" in guest.locator("main").inner_text()
        if n == 0:
            assert axe_violations(guest) == []
        guest.get_by_label("Prénom").fill("Paul")
        guest.get_by_label("Nom", exact=True).fill(f"Invité {n}")
        guest.get_by_label("Mot de passe", exact=True).fill(NEW_PASSWORD)
        guest.get_by_label("Mot de passe (confirmation)").fill(NEW_PASSWORD)
        guest.get_by_role("button", name="Créer mon compte").click()
        guest.wait_for_load_state()
        assert "Votre compte est créé" in guest.locator("main").inner_text()
        sign_in(guest, live_server.url, email, NEW_PASSWORD)
        body = guest.locator("main").inner_text()
        if site is None:
            assert "/groupement/gtsms-gueret/" in guest.url
        else:
            assert "Mon établissement" in body and site.name in body
        context.close()

    page.reload()
    assert page.locator("#invitations-table tbody").inner_text().strip() == "Aucune invitation en attente."
    assert page.locator("#people-table tbody tr").count() == 4
