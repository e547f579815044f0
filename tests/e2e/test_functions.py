"""A groupement director runs a pooled function in the browser: create it, subscribe two members,
add a post, set the key, and read the year's split, exact to the cent. Accessible pages (axe-core)."""

import datetime

import pytest

from accounts.enums import Role
from accounts.services import role_grant
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory
from tests.members.factories import GroupementFactory, LegalEntityFactory, MembershipFactory


pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_director_runs_a_function_and_reads_the_split(reference_data, live_server, page, axe_violations):
    year = datetime.date.today().year  # noqa: DTZ011 — the server's year, as the pages use it
    groupement = GroupementFactory(name="GTSMS du Haut-Limousin", slug="haut-limousin")
    first = LegalEntityFactory(name="EHPAD LES GENETS")
    second = LegalEntityFactory(name="EHPAD LA CHATAIGNERAIE")
    for entity in (first, second):
        MembershipFactory(groupement=groupement, legal_entity=entity, admitted_on=datetime.date(year, 1, 1))
    director = UserFactory(email="direction@haut-limousin.fr")
    role_grant(user=director, role=Role.GROUPEMENT_DIRECTOR, scope_object=groupement)

    page.goto(f"{live_server.url}/")
    page.get_by_label("Adresse électronique").fill(director.email)
    page.get_by_label("Mot de passe").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("link", name="Fonctions mutualisées").click()
    assert "Non atteint" in page.locator("#legal-minimum").inner_text()
    assert axe_violations(page) == []

    page.get_by_role("link", name="Créer une fonction").click()
    page.get_by_label("Type de fonction").select_option(label="Achats")
    page.get_by_label("Intitulé").fill("Achats groupés")
    page.get_by_label("Début").fill(f"{year}-01-01")
    page.get_by_role("button", name="Créer la fonction").click()
    assert "La fonction « Achats groupés » est créée." in page.locator("main").inner_text()

    for entity in (first, second):
        page.get_by_role("link", name="Faire adhérer un membre").click()
        page.get_by_label("Membre").select_option(label=f"{entity.name} ({entity.finess})")
        page.get_by_label("Début").fill(f"{year}-01-01")
        page.get_by_role("button", name="Enregistrer l'adhésion").click()
        assert f"« {entity.name} » adhère" in page.locator("main").inner_text()

    page.get_by_role("link", name="Ajouter un coût").click()
    page.get_by_label("Année").fill(str(year))
    page.get_by_label("Libellé").fill("Plateforme d'achats")
    page.get_by_label("Montant (€)").fill("1000,01")
    page.get_by_role("button", name="Ajouter le coût").click()
    assert "Répartition impossible" in page.locator("main").inner_text()  # no key yet: said, not guessed

    page.get_by_role("link", name=f"Clé de répartition {year}").click()
    page.get_by_label("Parts égales").check()
    page.get_by_role("button", name="Enregistrer la clé").click()
    assert axe_violations(page) == []
    table = page.locator("table[id^='split-']").inner_text()
    first_share, second_share = ("500,01", "500,00") if first.finess < second.finess else ("500,00", "500,01")
    assert "1 000,01" in table.replace("\u00a0", " ")

    page.get_by_role("link", name=f"Répartition de toutes les fonctions en {year}").click()
    members = page.locator("#members-table").inner_text().replace("\u00a0", " ")
    assert f"{first_share} €" in members.split(first.finess)[1].splitlines()[0]
    assert f"{second_share} €" in members.split(second.finess)[1].splitlines()[0]
    assert axe_violations(page) == []
    page.get_by_role("link", name="Fonctions mutualisées").first.click()
    assert "Atteint" in page.locator("#legal-minimum").inner_text()
