"""The catalogue of pooled functions the law names (L. 312-7-2 CASF; domain.md §1.3, decree.md §4.5–4.6).

Seven functions of which a GTSMS must run at least one for its members (they count for the legal
minimum), and four optional tools of the same article (they do not). Loaded by the data migration and
after every migrate or flush (``post_migrate``), like the territories.
"""

LEGAL_ARTICLE = "art. L. 312-7-2 CASF"

# code, name, category, counts for the legal minimum
CATALOGUE: list[tuple[str, str, str, bool]] = [
    ("systemes-information", "Systèmes d'information et dossier de l'usager", "LEGAL", True),
    ("formation-continue", "Formation continue des personnels", "LEGAL", True),
    ("qualite-risques", "Démarche qualité et gestion des risques", "LEGAL", True),
    ("ressources-humaines", "Ressources humaines", "LEGAL", True),
    ("achats", "Achats", "LEGAL", True),
    ("gestion-budgetaire-financiere", "Gestion budgétaire et financière", "LEGAL", True),
    ("services-techniques", "Services techniques", "LEGAL", True),
    ("plan-pluriannuel-investissement", "Plan pluriannuel d'investissement", "OPTIONAL_TOOL", False),
    ("cpom-unique", "CPOM unique", "OPTIONAL_TOOL", False),
    ("mutualisation-tresorerie", "Mutualisation de la trésorerie", "OPTIONAL_TOOL", False),
    ("pharmacie-usage-interieur", "Pharmacie à usage intérieur", "OPTIONAL_TOOL", False),
]


def catalogue_load(function_type_model) -> int:
    """Create or correct the catalogue's rows; returns how many it wrote (none when already right)."""
    existing = {t.code: t for t in function_type_model.objects.filter(groupement__isnull=True)}
    written = 0
    for position, (code, name, category, counts) in enumerate(CATALOGUE, start=1):
        wanted = {
            "name": name,
            "category": category,
            "counts_for_minimum": counts,
            "article": LEGAL_ARTICLE,
            "position": position,
        }
        current = existing.get(code)
        if current is not None and all(getattr(current, field) == value for field, value in wanted.items()):
            continue
        function_type_model.objects.update_or_create(code=code, groupement=None, defaults=wanted)
        written += 1
    return written
