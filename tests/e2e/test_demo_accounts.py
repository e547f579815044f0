"""Every demo account signs in through a real browser and lands on its home page, with real data."""

import pytest

from demo.services import demo_load


pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# What each role's home page must show (real FINESS data from the demo).
EXPECTED = {
    "Administrateur de la plateforme": ("Groupements", "GTSMS de la Creuse"),
    "Directeur du groupement": ("GTSMS de", "Membres actuels"),
    "Équipe du groupement": ("GTSMS de", "Membres actuels"),
    "Directeur d'établissement": ("Mon établissement", "FINESS établissement"),
    "Agent de l'ARS": ("Revue des groupements", "GTSMS de"),
    "Lecteur du conseil départemental": ("Revue des groupements", "GTSMS de la Creuse"),
}


def test_each_demo_account_reaches_its_home_page(reference_data, live_server, page, axe_violations):
    """And each home page, like the login page, has no serious or critical axe-core violation."""
    accounts = demo_load()
    assert {account["role"] for account in accounts} == set(EXPECTED)
    for account in accounts:
        page.context.clear_cookies()
        page.goto(f"{live_server.url}/")
        assert "/comptes/connexion/" in page.url
        assert axe_violations(page) == []
        page.get_by_label("Adresse électronique").fill(account["email"])
        page.get_by_label("Mot de passe").fill(account["password"])
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_load_state()
        heading, data = EXPECTED[account["role"]]
        body = page.locator("main").inner_text()
        assert heading in body, f"{account['email']} lands on {page.url} without « {heading} »"
        assert data in body, f"{account['email']} sees no « {data} » on {page.url}"
        assert page.locator("html").get_attribute("lang") == "fr"
        assert axe_violations(page) == [], f"accessibility of {page.url}"
        page.get_by_role("button", name="Se déconnecter").click()
        page.wait_for_load_state()
        assert "Vous êtes déconnecté." in page.locator("main").inner_text()
