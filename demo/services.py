"""Load the demo: real FINESS establishments, two groupements in two régions, one account per role.

Idempotent: a second run changes nothing (every step looks for what it would create first).
"""

import datetime
from decimal import ROUND_DOWN, Decimal

import pghistory
from django.conf import settings
from django.db import transaction

from accounts.enums import Role
from accounts.models import User
from accounts.services import role_grant
from demo import data
from demo.governance import governance_demo_load
from demo.people import demo_invitation, demo_totp_device
from documents.models import GenerationJob
from documents.services import document_request
from functions.samples import functions_load
from members.enums import EligibilityCategory, GroupementKind, GroupementStatus, MembershipCategory
from members.finess.importer import finess_import
from members.models import Departement, Establishment, Groupement, LegalEntity, Membership, Region
from members.services import groupement_create, membership_admit


def _user(*, local: str, first: str, last: str) -> User:
    email = f"{local}@{data.DEMO_DOMAIN}"
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email, data.DEMO_PASSWORD, first_name=first, last_name=last)
    return user


def _import_finess() -> dict | None:
    """Import the real extracts unless they are already in the database."""
    if Establishment.objects.filter(departement_id__in=["23", "48"]).exists():
        return None
    paths = [settings.FINESS_DATA_DIR / name for name in data.FINESS_FILES]
    return finess_import(paths).as_dict()


def _groupement(spec: dict) -> Groupement:
    groupement = Groupement.objects.filter(slug=spec["slug"]).first()
    if groupement is not None:
        return groupement
    return groupement_create(
        kind=GroupementKind.GTSMS,
        slug=spec["slug"],
        name=spec["name"],
        region=Region.objects.get(code=spec["region"]),
        seat_address=spec["seat_address"],
        seat_postal_code=spec["seat_postal_code"],
        seat_city=spec["seat_city"],
        status=GroupementStatus.CONSTITUTED,
        convention_transmitted_on=spec["convention_transmitted_on"],
        published_on=spec["published_on"],
        publication_reference=spec["publication_reference"],
        departements=Departement.objects.filter(code__in=spec["departements"]),
    )


def _founding_entities(spec: dict) -> list[LegalEntity]:
    """The legal entities of the département that must join a GTSMS (real FINESS data), in FINESS order."""
    entity_ids = (
        Establishment.objects.filter(
            departement_id__in=spec["departements"], eligibility=EligibilityCategory.MANDATORY, closed=False
        )
        .values_list("legal_entity_id", flat=True)
        .distinct()
    )
    return list(LegalEntity.objects.filter(pk__in=entity_ids).order_by("finess")[: spec["members"]])


def _shares(count: int) -> list[Decimal]:
    """Equal contribution shares that add up to exactly 100 %."""
    base = (Decimal(100) / count).quantize(Decimal("0.0001"), rounding=ROUND_DOWN)
    shares = [base] * count
    shares[0] += Decimal(100) - base * count
    return shares


def _admit_founders(groupement: Groupement, spec: dict, actor: User) -> list[LegalEntity]:
    entities = _founding_entities(spec)
    if Membership.objects.filter(groupement=groupement).exists():
        return entities
    founded: datetime.date = spec["founded_on"]
    act = f"Convention constitutive transmise au directeur général de l'ARS le {founded:%d/%m/%Y}"
    for entity, share in zip(entities, _shares(len(entities)), strict=True):
        membership_admit(
            groupement=groupement,
            legal_entity=entity,
            category=MembershipCategory.MANDATORY,
            admitted_on=founded,
            act=act,
            voting_rights=Decimal(1),
            contribution_share=share,
            founding=True,
            actor=actor,
        )
    return entities


def _request_documents(groupement: Groupement, director: User) -> None:
    """The register of members (final) and the members workbook (draft), rendered by the worker."""
    for kind, final in (("members_register", True), ("members_list", False)):
        if not GenerationJob.objects.filter(groupement=groupement, kind=kind).exists():
            document_request(kind=kind, groupement=groupement, final=final, actor=director)


@transaction.atomic
def demo_load() -> list[dict]:
    """Load (or find) the demo data; return the demo accounts as dicts (email, password, role, scope)."""
    accounts: list[dict] = []

    def account(user: User, role: Role, scope: str) -> None:
        accounts.append({"email": user.email, "password": data.DEMO_PASSWORD, "role": role.label, "scope": scope})

    with pghistory.context(source="load_demo"):
        _import_finess()
        admin = _user(**{k: data.PLATFORM_ADMIN[k] for k in ("local", "first", "last")})
        role_grant(user=admin, role=Role.PLATFORM_ADMIN)
        account(admin, Role.PLATFORM_ADMIN, "toute la plateforme")

        names = iter(data.ESTABLISHMENT_DIRECTOR_NAMES)
        for spec in data.GROUPEMENTS:
            groupement = _groupement(spec)
            director = _user(local=spec["director"][2], first=spec["director"][0], last=spec["director"][1])
            role_grant(user=director, role=Role.GROUPEMENT_DIRECTOR, scope_object=groupement, actor=admin)
            account(director, Role.GROUPEMENT_DIRECTOR, groupement.name)
            staff = _user(local=spec["staff"][2], first=spec["staff"][0], last=spec["staff"][1])
            role_grant(user=staff, role=Role.GROUPEMENT_STAFF, scope_object=groupement, actor=director)
            account(staff, Role.GROUPEMENT_STAFF, groupement.name)

            entities = _admit_founders(groupement, spec, director)
            sites = Establishment.objects.filter(
                legal_entity__in=entities, eligibility=EligibilityCategory.MANDATORY
            ).order_by("finess")[: data.ESTABLISHMENT_DIRECTORS_PER_GROUPEMENT]
            _request_documents(groupement, director)
            functions_load(groupement=groupement, members=entities, founded_on=spec["founded_on"], actor=director)
            demo_invitation(groupement=groupement, director=director)
            if spec is data.GROUPEMENTS[0]:
                demo_totp_device(user=director)  # README: the demo TOTP secret
            governance_demo_load(
                groupement,
                founded_on=spec["founded_on"],
                published_on=spec["published_on"],
                publication_reference=spec["publication_reference"],
            )
            for site in sites:
                first, last = next(names)
                user = _user(local=f"direction.{site.finess}", first=first, last=last)
                role_grant(user=user, role=Role.ESTABLISHMENT_DIRECTOR, scope_object=site, actor=director)
                account(user, Role.ESTABLISHMENT_DIRECTOR, f"{site.name} ({site.finess})")

        for reviewer in data.REVIEWERS:
            user = _user(local=reviewer["local"], first=reviewer["first"], last=reviewer["last"])
            role = Role(reviewer["role"])
            scope = (
                Region.objects.get(code=reviewer["scope"])
                if role == Role.ARS_REVIEWER
                else Departement.objects.get(code=reviewer["scope"])
            )
            role_grant(user=user, role=role, scope_object=scope, actor=admin)
            account(user, role, f"ARS {scope.name}" if role == Role.ARS_REVIEWER else f"Département {scope}")
    return accounts
