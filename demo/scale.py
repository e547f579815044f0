"""The first steps of the national instance (FINESS, groupements, members, accounts, documents) and the
key pages of the benchmark. Other rooms add theirs in their own ``scale.py`` (docs/scale.md).

Everything goes through the rooms' services (``finess_import``, ``membership_admit``, ``role_grant``,
``document_request``), so rights, journal and history are those of real use.
"""

import datetime
import pathlib
import tempfile
import time
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse

from accounts.enums import Role
from accounts.models import RoleAssignment, User
from accounts.services import role_grant
from core import scale
from core.exceptions import BusinessRuleError
from demo import data
from demo.scale_finess import generate
from demo.services import _groupement, _shares
from documents.services import document_request
from members.enums import EligibilityCategory, GroupementStatus, MembershipCategory
from members.finess.importer import finess_import
from members.models import Departement, Establishment, Groupement, LegalEntity, Membership, Region
from members.services import membership_admit


SCALE_DOMAIN = "scale.gtsms.fr"
SLUG_PREFIX = "national-"
FIRST_NAMES = [
    "Anne",
    "Bruno",
    "Chantal",
    "David",
    "Émilie",
    "François",
    "Gaëlle",
    "Hugo",
    "Inès",
    "Jacques",
    "Karine",
    "Louis",
    "Marie",
    "Nicolas",
    "Odile",
    "Paul",
    "Rachida",
    "Sébastien",
    "Thérèse",
    "Yann",
]
LAST_NAMES = [
    "Bernard",
    "Chevalier",
    "Dubois",
    "Fabre",
    "Garnier",
    "Lambert",
    "Lefèvre",
    "Martin",
    "Mercier",
    "Moreau",
    "Perrin",
    "Richard",
    "Roux",
]


def is_loaded() -> bool:
    """Whether a national instance is already in this database."""
    return Groupement.objects.filter(slug__startswith=SLUG_PREFIX).exists()


# --- Steps ----------------------------------------------------------------------------------------


def build_finess(ctx: scale.ScaleContext) -> None:
    """The national FINESS extract, generated from the real rows of data/finess, through the importer."""
    if Establishment.objects.count() >= ctx.establishments:
        ctx.log(f"  extrait FINESS déjà importé ({Establishment.objects.count()} établissements)")
        return
    last = [0.0]

    def progress(percent: int, message: str) -> None:
        if time.perf_counter() - last[0] >= 10 or percent == 100:
            last[0] = time.perf_counter()
            ctx.log(f"  {percent:3d} % {message}")

    with tempfile.TemporaryDirectory(prefix="gtsms-scale-") as folder:
        et_path, ej_path, et_count, ej_count = generate(
            pathlib.Path(folder), ctx.establishments, data=settings.FINESS_DATA_DIR
        )
        ctx.log(f"  extrait généré : {et_count} établissements, {ej_count} entités juridiques")
        result = finess_import([et_path, ej_path], progress=progress).as_dict()
    ctx.log(f"  importé : {result['created']} créés, {result['rejected']} rejetés")


def _departements_by_region() -> list[Departement]:
    """Départements with open mandatory establishments, one région after the other in turn (every région early)."""
    with_sites = (
        Establishment.objects.filter(eligibility=EligibilityCategory.MANDATORY, closed=False)
        .values("departement_id")
        .distinct()
    )
    by_region: dict[str, list[Departement]] = {}
    for departement in Departement.objects.filter(code__in=with_sites).order_by("code"):
        by_region.setdefault(departement.region_id, []).append(departement)
    queues = [by_region[code] for code in sorted(by_region)]
    ordered: list[Departement] = []
    while any(queues):
        for queue in queues:
            if queue:
                ordered.append(queue.pop(0))
    return ordered


def build_groupements(ctx: scale.ScaleContext) -> None:
    """``ctx.groupements`` GTSMS in every région, one or more per département with mandatory establishments."""
    departements = _departements_by_region()
    if not departements:
        raise BusinessRuleError("Aucun établissement obligatoire : importez d'abord l'extrait FINESS.")
    created = []
    for index in range(ctx.groupements):
        departement = departements[index % len(departements)]
        rank = index // len(departements) + 1
        suffix = "" if rank == 1 else f" {rank}"
        founded = ctx.today - datetime.timedelta(days=ctx.rng.randint(30, 400))
        constituted = ctx.rng.random() < 0.85
        seat = (
            Establishment.objects.filter(departement=departement, closed=False)
            .exclude(routing_line="")
            .order_by("finess")
            .values("street_name", "routing_line")
            .first()
        ) or {"street_name": "", "routing_line": ""}
        spec = {
            "slug": f"{SLUG_PREFIX}{departement.code.lower()}-{rank}",
            "name": f"GTSMS {departement.name}{suffix}",
            "region": departement.region_id,
            "departements": [departement.code],
            "seat_address": seat["street_name"][:200],
            "seat_postal_code": seat["routing_line"][:5] if seat["routing_line"][:5].isdigit() else "",
            "seat_city": seat["routing_line"][6:][:100],
            "convention_transmitted_on": founded if constituted else None,
            "published_on": founded + datetime.timedelta(days=18) if constituted else None,
            "publication_reference": f"RAA {departement.code}-{founded:%Y-%m}-{index:03d}" if constituted else "",
        }
        groupement = _groupement(spec)
        if not constituted and groupement.status != GroupementStatus.CONSTITUTING:
            Groupement.objects.filter(pk=groupement.pk).update(status=GroupementStatus.CONSTITUTING)
        created.append((groupement.pk, founded))
    ctx.data["groupements"] = created
    ctx.log(f"  {len(created)} groupements dans {len({d.region_id for d in departements[: len(created)]})} régions")


def build_members(ctx: scale.ScaleContext) -> None:
    """8 to 15 founding members per groupement, drawn from the mandatory establishments of its département."""
    admitted = 0
    for index, (groupement_id, founded) in enumerate(ctx.data["groupements"]):
        groupement = Groupement.objects.prefetch_related("departements").get(pk=groupement_id)
        if Membership.objects.filter(groupement=groupement).exists():
            continue
        taken = Membership.objects.filter(groupement_kind=groupement.kind).values("legal_entity")
        candidates = list(
            LegalEntity.objects.filter(
                establishments__departement__in=groupement.departements.all(),
                establishments__eligibility=EligibilityCategory.MANDATORY,
                establishments__closed=False,
                closed=False,
            )
            .exclude(pk__in=taken)
            .distinct()
            .order_by("finess")
        )
        chosen = ctx.rng.sample(candidates, min(len(candidates), ctx.rng.randint(8, 15)))
        act = f"Convention constitutive transmise au directeur général de l'ARS le {founded:%d/%m/%Y}"
        for entity, share in zip(chosen, _shares(len(chosen)) if chosen else [], strict=True):
            try:
                membership_admit(
                    groupement=groupement,
                    legal_entity=entity,
                    category=MembershipCategory.MANDATORY,
                    admitted_on=founded,
                    act=act,
                    voting_rights=Decimal(1),
                    contribution_share=share,
                    founding=True,
                )
            except BusinessRuleError as error:  # the law refused this one: the loader says so and goes on
                ctx.log(f"  refusé ({entity.finess}) : {error.messages[0]}")
            else:
                admitted += 1
        if (index + 1) % 20 == 0:
            ctx.log(f"  {index + 1} groupements, {admitted} membres admis")
    ctx.log(f"  {admitted} membres admis")


def _person(ctx: scale.ScaleContext, number: int, local: str) -> User:
    first, last = ctx.rng.choice(FIRST_NAMES), ctx.rng.choice(LAST_NAMES)
    return User(email=f"{local}.{number:05d}@{SCALE_DOMAIN}", first_name=first, last_name=last)


def _plan_accounts(ctx: scale.ScaleContext) -> list[tuple[str, Role, object]]:
    """Who gets which role on what: ~``ctx.users`` accounts in every role, directors of member sites last."""
    groupements = list(Groupement.objects.filter(slug__startswith=SLUG_PREFIX).prefetch_related("departements"))
    regions = list(Region.objects.filter(groupements__in=groupements).distinct().order_by("code"))
    departements = list(Departement.objects.filter(groupements__in=groupements).distinct().order_by("code"))
    per_region = max(1, min(10, ctx.users // 400))
    plan: list[tuple[str, Role, object]] = [("admin", Role.PLATFORM_ADMIN, None)]
    plan += [("direction", Role.GROUPEMENT_DIRECTOR, g) for g in groupements]
    plan += [("ars", Role.ARS_REVIEWER, r) for r in regions for _ in range(per_region)]
    plan += [("cd", Role.DEPARTEMENT_READER, d) for d in departements]
    plan += [("equipe", Role.GROUPEMENT_STAFF, g) for g in groupements for _ in range(2)]
    plan = plan[: ctx.users]
    sites = list(
        Establishment.objects.filter(
            legal_entity__memberships__groupement__in=groupements, legal_entity__memberships__left_on__isnull=True
        )
        .distinct()
        .order_by("departement_id", "finess")
    )
    for number in range(max(0, ctx.users - len(plan))):
        if not sites:
            break
        plan.append(("etablissement", Role.ESTABLISHMENT_DIRECTOR, sites[number % len(sites)]))
    return plan


def build_accounts(ctx: scale.ScaleContext) -> None:
    """About ``ctx.users`` accounts in every role, each role granted by ``role_grant`` (groups, journal)."""
    if User.objects.filter(email__endswith=f"@{SCALE_DOMAIN}").exists():
        ctx.log("  comptes déjà créés")
        return
    plan = _plan_accounts(ctx)
    password = make_password(data.DEMO_PASSWORD)  # hashed once: the same password for every account
    people = [_person(ctx, number, local) for number, (local, _, _) in enumerate(plan, start=1)]
    for person in people:
        person.password = password
    people = User.objects.bulk_create(people, batch_size=1000)
    admin = people[0]
    ctx.log(f"  {len(people)} comptes créés ; attribution des rôles…")
    directors: dict[int, User] = {}
    for number, (person, (_, role, scope_object)) in enumerate(zip(people, plan, strict=True), start=1):
        actor = None if role == Role.PLATFORM_ADMIN else admin
        if role == Role.GROUPEMENT_STAFF:
            actor = directors.get(scope_object.pk, admin)
        role_grant(user=person, role=role, scope_object=scope_object, actor=actor)
        if role == Role.GROUPEMENT_DIRECTOR:
            directors[scope_object.pk] = person
        if number % 500 == 0:
            ctx.log(f"  {number} rôles attribués")
    ctx.data["directors"] = {pk: user.pk for pk, user in directors.items()}
    counts = dict(RoleAssignment.objects.active().values_list("role").annotate(n=Count("id")).order_by())
    ctx.log("  " + ", ".join(f"{Role(role).label} : {n}" for role, n in sorted(counts.items())))


def build_documents(ctx: scale.ScaleContext) -> None:
    """Each groupement asks for its register of members (final) and its members workbook (draft).

    The jobs stay pending (``enqueue=False``): the worker of this database picks them up at its next
    sweep; nothing is sent to a broker that workers of other databases may share.
    """
    directors = ctx.data.get("directors") or {
        a.groupement_id: a.user_id
        for a in RoleAssignment.objects.active().filter(role=Role.GROUPEMENT_DIRECTOR, groupement__isnull=False)
    }
    users = User.objects.in_bulk(list(directors.values()))
    jobs = 0
    for groupement in Groupement.objects.filter(slug__startswith=SLUG_PREFIX):
        director = users.get(directors.get(groupement.pk))
        for kind, final in (("members_register", True), ("members_list", False)):
            document_request(kind=kind, groupement=groupement, final=final, actor=director, enqueue=False)
            jobs += 1
    ctx.log(f"  {jobs} documents demandés (en attente du worker)")


def _atomic(build):
    def run(ctx: scale.ScaleContext) -> None:
        with transaction.atomic():
            build(ctx)

    run.__doc__ = build.__doc__
    return run


scale.register("finess", build_finess, label="Extrait FINESS national (établissements et entités juridiques)")
scale.register("groupements", _atomic(build_groupements), after=("finess",), label="Groupements dans chaque région")
scale.register("members", _atomic(build_members), after=("groupements",), label="Membres fondateurs")
scale.register("accounts", _atomic(build_accounts), after=("members",), label="Comptes et rôles")
scale.register("documents", _atomic(build_documents), after=("accounts",), label="Documents demandés")


# --- Pages of the benchmark -----------------------------------------------------------------------


class Sample:
    """The objects and users the pages are timed with: the biggest groupement, the busiest région…"""

    def __init__(self) -> None:
        active = RoleAssignment.objects.active().select_related("user").order_by("id")
        today = datetime.date.today()  # noqa: DTZ011 (a benchmark sample, not a legal date)
        self.groupement = (
            Groupement.objects.annotate(n=Count("memberships", filter=Q(memberships__left_on__isnull=True)))
            .order_by("-n", "pk")
            .first()
        )
        self.admin = next((a.user for a in active.filter(role=Role.PLATFORM_ADMIN)[:1]), None)
        in_groupement = active.filter(groupement=self.groupement)
        self.director = next((a.user for a in in_groupement.filter(role=Role.GROUPEMENT_DIRECTOR)[:1]), None)
        self.staff = next((a.user for a in in_groupement.filter(role=Role.GROUPEMENT_STAFF)[:1]), None)
        self.membership = (
            Membership.objects.filter(groupement=self.groupement)
            .active_on(today)
            .order_by("legal_entity__name")
            .first()
        )
        self.establishment_director = next((a.user for a in active.filter(role=Role.ESTABLISHMENT_DIRECTOR)[:1]), None)
        busiest = (
            Establishment.objects.filter(eligibility=EligibilityCategory.MANDATORY, closed=False)
            .values("departement__region")
            .annotate(n=Count("id"))
            .order_by("-n")
            .first()
        )
        self.region = Region.objects.filter(code=busiest["departement__region"]).first() if busiest else None
        self.reviewer = next((a.user for a in active.filter(role=Role.ARS_REVIEWER, region=self.region)[:1]), None)
        self.reader = next((a.user for a in active.filter(role=Role.DEPARTEMENT_READER)[:1]), None)


DIRECTOR = Role.GROUPEMENT_DIRECTOR.label
ESTABLISHMENT_DIRECTOR = Role.ESTABLISHMENT_DIRECTOR.label
REVIEWER = Role.ARS_REVIEWER.label
ADMIN = Role.PLATFORM_ADMIN.label
ROLES_SQL = "SELECT id, role FROM accounts_roleassignment WHERE user_id = %s AND revoked_at IS NULL"
MEMBERS_SQL = (
    "SELECT m.id, e.name, e.finess FROM members_membership m JOIN members_legalentity e ON e.id = m.legal_entity_id "
    "WHERE m.groupement_id = %s AND m.left_on IS NULL ORDER BY e.name"
)
# The same reads as members.selectors.legal_entity_search: names by trigram index, FINESS by prefix.
SEARCH_SQL = (
    "SELECT id, name, finess FROM members_legalentity WHERE UPPER(name) LIKE %s OR UPPER(long_name) LIKE %s "
    "ORDER BY name LIMIT 20"
)
FINESS_SQL = "SELECT id, name, finess FROM members_legalentity WHERE finess LIKE %s ORDER BY finess LIMIT 20"
# The ARS coverage lists one département at a time, 50 rows a page (compliance.selectors).
COVERAGE_SQL = (
    "SELECT e.id, e.name, e.finess, l.name FROM members_establishment e "
    "JOIN members_legalentity l ON l.id = e.legal_entity_id JOIN members_departement d ON d.code = e.departement_id "
    "WHERE d.region_id = %s AND e.eligibility = 'MANDATORY' AND NOT e.closed "
    "ORDER BY e.departement_id, e.name, e.finess LIMIT 50"
)


def _home(user_of):
    def resolve(sample: Sample) -> scale.PageRequest | None:
        user = user_of(sample)
        return user and scale.PageRequest(user=user, url=reverse("home"), floor_sql=ROLES_SQL, floor_params=(user.pk,))

    return resolve


def _groupement_page(url_name: str, floor_sql: str, *, user_of=lambda s: s.director, query: str = "", params=None):
    def resolve(sample: Sample) -> scale.PageRequest | None:
        if sample.groupement is None or user_of(sample) is None:
            return None
        url = reverse(url_name, kwargs={"slug": sample.groupement.slug}) + query
        return scale.PageRequest(
            user=user_of(sample),
            url=url,
            floor_sql=floor_sql,
            floor_params=params(sample) if params else (sample.groupement.pk,),
        )

    return resolve


def _member_page(sample: Sample) -> scale.PageRequest | None:
    if sample.membership is None:
        return None
    url = reverse(
        "members:member_detail", kwargs={"slug": sample.groupement.slug, "membership_id": sample.membership.pk}
    )
    sql = "SELECT id, name, finess FROM members_establishment WHERE legal_entity_id = %s ORDER BY closed, name"
    return scale.PageRequest(
        user=sample.director, url=url, floor_sql=sql, floor_params=(sample.membership.legal_entity_id,)
    )


def _groupement_list(user_of):
    def resolve(sample: Sample) -> scale.PageRequest | None:
        user = user_of(sample)
        if user is None:
            return None
        sql = "SELECT g.id, g.name FROM members_groupement g WHERE g.status <> 'DISSOLVED' ORDER BY g.name"
        if not user.is_superuser:
            sql = (
                "SELECT g.id, g.name FROM members_groupement g JOIN accounts_roleassignment a "
                "ON a.groupement_id = g.id WHERE a.user_id = %s AND a.revoked_at IS NULL ORDER BY g.name"
            )
            return scale.PageRequest(
                user=user, url=reverse("members:groupement_list"), floor_sql=sql, floor_params=(user.pk,)
            )
        return scale.PageRequest(user=user, url=reverse("members:groupement_list"), floor_sql=sql)

    return resolve


def _portal(sample: Sample) -> scale.PageRequest | None:
    user = sample.establishment_director
    if user is None:
        return None
    sql = (
        "SELECT e.id, e.name, e.finess FROM members_establishment e JOIN accounts_roleassignment a "
        "ON a.establishment_id = e.id WHERE a.user_id = %s AND a.revoked_at IS NULL"
    )
    return scale.PageRequest(user=user, url=reverse("members:portal"), floor_sql=sql, floor_params=(user.pk,))


def _ars(url_name: str, sql: str):
    def resolve(sample: Sample) -> scale.PageRequest | None:
        if sample.reviewer is None:
            return None
        return scale.PageRequest(
            user=sample.reviewer, url=reverse(url_name), floor_sql=sql, floor_params=(sample.region.code,)
        )

    return resolve


def _admin_list(model_path: str, table: str):
    def resolve(sample: Sample) -> scale.PageRequest | None:
        if sample.admin is None:
            return None
        sql = f"SELECT id, name, finess FROM {table} ORDER BY name, id LIMIT 50"  # noqa: S608 (constant)
        return scale.PageRequest(user=sample.admin, url=f"/admin/{model_path}/", floor_sql=sql)

    return resolve


scale.page("Accueil", role=DIRECTOR, resolve=_home(lambda s: s.director))
scale.page("Accueil", role=ESTABLISHMENT_DIRECTOR, resolve=_home(lambda s: s.establishment_director))
scale.page("Accueil", role=REVIEWER, resolve=_home(lambda s: s.reviewer))
scale.page("Liste des groupements", role=DIRECTOR, resolve=_groupement_list(lambda s: s.director))
scale.page("Liste des groupements", role=ADMIN, resolve=_groupement_list(lambda s: s.admin))
scale.page(
    "Tableau de bord du groupement",
    role=DIRECTOR,
    resolve=_groupement_page("members:groupement_dashboard", MEMBERS_SQL),
)
scale.page("Liste des membres", role=DIRECTOR, resolve=_groupement_page("members:member_list", MEMBERS_SQL))
scale.page("Fiche d'un membre", role=DIRECTOR, resolve=_member_page)
scale.page(
    "Admission : recherche « EHPAD »",
    role=DIRECTOR,
    resolve=_groupement_page(
        "members:member_admit", SEARCH_SQL, query="?q=EHPAD", params=lambda s: ("%EHPAD%", "%EHPAD%")
    ),
)
scale.page(
    "Admission : recherche « 2300 »",
    role=DIRECTOR,
    resolve=_groupement_page("members:member_admit", FINESS_SQL, query="?q=2300", params=lambda s: ("2300%",)),
)
scale.page("Portail de l'établissement", role=ESTABLISHMENT_DIRECTOR, resolve=_portal)
scale.page(
    "Documents du groupement",
    role=DIRECTOR,
    resolve=_groupement_page(
        "documents:document_list",
        "SELECT id, kind, status FROM documents_generationjob WHERE groupement_id = %s ORDER BY created_at DESC",
    ),
)
scale.page(
    "Accueil ARS (groupements de la région)",
    role=REVIEWER,
    resolve=_ars("compliance:ars_home", "SELECT id, name FROM members_groupement WHERE region_id = %s ORDER BY name"),
)
scale.page("Couverture de la région", role=REVIEWER, resolve=_ars("compliance:coverage", COVERAGE_SQL))
scale.page(
    "Administration : établissements",
    role=ADMIN,
    resolve=_admin_list("members/establishment", "members_establishment"),
)
scale.page(
    "Administration : entités juridiques",
    role=ADMIN,
    resolve=_admin_list("members/legalentity", "members_legalentity"),
)
