"""The people and groupements of the demo. Establishments come from the real FINESS extracts of
Creuse (23, Nouvelle-Aquitaine) and Lozère (48, Occitanie) shipped in data/finess; groupements and
people are fictional (domain.md §1.9: no real GTSMS list is published)."""

import datetime


# One password for every demo account; the accounts exist only where the demo is loaded.
DEMO_PASSWORD = "Groupement-2028!"  # noqa: S105 (public demo password, listed in the README)
DEMO_DOMAIN = "demo.gtsms.fr"

FINESS_FILES = [
    "etalab_stock_ej_20201231_dep23.csv",
    "etalab_stock_ej_20201231_dep48.csv",
    "etalab-cs1100507-stock-20210108-0427_dep23_reconstructed.csv",
    "etalab-cs1100507-stock-20210108-0427_dep48_reconstructed.csv",
]

GROUPEMENTS = [
    {
        "slug": "gtsms-creuse",
        "name": "GTSMS de la Creuse",
        "region": "75",
        "departements": ["23"],
        "seat_address": "Place Bonnyaud",
        "seat_postal_code": "23000",
        "seat_city": "Guéret",
        "convention_transmitted_on": datetime.date(2026, 3, 2),
        "published_on": datetime.date(2026, 3, 20),
        "publication_reference": "Recueil des actes administratifs de la Creuse n° 23-2026-03-020",
        "members": 8,
        "founded_on": datetime.date(2026, 3, 2),
        "director": ("Claire", "Dumas", "direction.creuse"),
        "staff": ("Julien", "Peyrot", "equipe.creuse"),
    },
    {
        "slug": "gtsms-lozere",
        "name": "GTSMS de Lozère",
        "region": "76",
        "departements": ["48"],
        "seat_address": "Avenue du Maréchal Foch",
        "seat_postal_code": "48000",
        "seat_city": "Mende",
        "convention_transmitted_on": datetime.date(2026, 6, 15),
        "published_on": None,
        "publication_reference": "",
        "members": 6,
        "founded_on": datetime.date(2026, 6, 15),
        "director": ("Hélène", "Boissonnade", "direction.lozere"),
        "staff": ("Mathieu", "Rouvière", "equipe.lozere"),
    },
]

# How many member establishments of each groupement get a director account.
ESTABLISHMENT_DIRECTORS_PER_GROUPEMENT = 2
ESTABLISHMENT_DIRECTOR_NAMES = [
    ("Sophie", "Lachaud"),
    ("Pierre", "Aubusson"),
    ("Nadia", "Chaptal"),
    ("Luc", "Malzieu"),
]

REVIEWERS = [
    {
        "role": "ARS_REVIEWER",
        "scope": "75",
        "first": "Isabelle",
        "last": "Fournier",
        "local": "ars.nouvelle-aquitaine",
    },
    {"role": "ARS_REVIEWER", "scope": "76", "first": "Karim", "last": "Benali", "local": "ars.occitanie"},
    {"role": "DEPARTEMENT_READER", "scope": "23", "first": "Anne", "last": "Védrenne", "local": "cd23"},
]

PLATFORM_ADMIN = {"first": "Admin", "last": "Plateforme", "local": "admin"}
