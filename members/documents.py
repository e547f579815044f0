"""Documents of the members room: the register of members (PDF) and the members list (XLSX).

The register is annexed to the convention constitutive: every member legal entity on the date (and
those who left during the year, with their leaving date), its establishments from FINESS, its
category, dates, voting rights and contribution share from the current ``MembershipTerms``, the
totals, and a sign-off block for the director. Both kinds share one context builder; they are
registered with ``documents`` in ``MembersConfig.ready()``.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Prefetch, Q
from django.utils import timezone

from core import formatting
from core.exceptions import BusinessRuleError
from documents import registry
from documents.registry import Column, Sheet
from documents.renderers import FORMAT_DATE, FORMAT_INTEGER, FORMAT_NUMBER, FORMAT_PERCENT
from members.enums import MembershipCategory
from members.models import Establishment, Groupement, Membership
from members.selectors import with_terms_on


HUNDRED = Decimal(100)

MEMBERS_REGISTER = "members_register"
MEMBERS_LIST = "members_list"


@dataclass(frozen=True)
class EstablishmentRow:
    finess: str
    name: str
    category_code: str
    category_label: str
    address: str
    postal_code: str
    city: str


@dataclass
class MemberRow:
    name: str
    finess: str
    statut_label: str
    category: str
    category_label: str
    founding: bool
    admitted_on: datetime.date
    admission_act: str
    left_on: datetime.date | None
    leave_reason: str
    leave_act: str
    voting_rights: Decimal | None
    contribution_share: Decimal | None
    address: str
    postal_code: str
    city: str
    active: bool
    establishments: list[EstablishmentRow] = field(default_factory=list)

    @property
    def voting_rights_display(self) -> str:
        return _decimal_display(self.voting_rights)

    @property
    def contribution_share_display(self) -> str:
        return _share_display(self.contribution_share)


@dataclass
class Register:
    as_of: datetime.date
    year: int | None
    members: list[MemberRow]
    partners: list[MemberRow]
    total_voting_rights: Decimal
    total_share: Decimal

    @property
    def active_count(self) -> int:
        return sum(1 for member in self.members if member.active)

    @property
    def left_count(self) -> int:
        return sum(1 for member in self.members if not member.active)

    @property
    def establishment_count(self) -> int:
        return sum(len(member.establishments) for member in self.members if member.active)

    @property
    def shares_mismatch(self) -> bool:
        return self.active_count > 0 and self.total_share != HUNDRED

    @property
    def total_voting_rights_display(self) -> str:
        return _decimal_display(self.total_voting_rights)

    @property
    def total_share_display(self) -> str:
        return _share_display(self.total_share)


def _decimal_display(value: Decimal | None) -> str:
    if value is None:
        return ""
    return formatting.format_number(value, 0 if value == value.to_integral_value() else 2)


def _share_display(value: Decimal | None) -> str:
    """A share in percent: two decimals, or four when the value has more (so 99,9999 % never reads 100 %)."""
    if value is None:
        return ""
    return formatting.format_percent(value, 2 if value == value.quantize(Decimal("0.01")) else 4)


def reference_date(year: int | None, today: datetime.date | None = None) -> datetime.date:
    """The date the register describes: 31 December of a past year, else today."""
    today = today or timezone.localdate()
    if year is None or year == today.year:
        return today
    if year > today.year:
        raise BusinessRuleError(f"Le registre ne peut pas être établi pour une année à venir ({year}).")
    if year < 2000:
        raise BusinessRuleError(f"L'année {year} n'est pas valide pour un registre des membres.")
    return datetime.date(year, 12, 31)


def _row(membership: Membership, as_of: datetime.date) -> MemberRow:
    entity = membership.legal_entity
    active = membership.is_active_on(as_of)
    return MemberRow(
        name=entity.name,
        finess=entity.finess,
        statut_label=entity.statut_label,
        category=membership.category,
        category_label=membership.get_category_display(),
        founding=membership.founding,
        admitted_on=membership.admitted_on,
        admission_act=membership.admission_act,
        left_on=None if active else membership.left_on,
        leave_reason="" if active else membership.get_leave_reason_display(),
        leave_act="" if active else membership.leave_act,
        voting_rights=membership.voting_rights,  # annotated by with_terms_on (terms in force, or the last)
        contribution_share=membership.contribution_share,
        address=entity.address_line,
        postal_code=entity.postal_code,
        city=entity.city,
        active=active,
        establishments=[
            EstablishmentRow(
                finess=establishment.finess,
                name=establishment.name,
                category_code=establishment.category_code,
                category_label=establishment.category_label,
                address=establishment.address_line,
                postal_code=establishment.postal_code,
                city=establishment.city,
            )
            for establishment in entity.open_establishments
        ],
    )


def register_of_members(*, groupement: Groupement, as_of: datetime.date) -> Register:
    """The register on ``as_of``: members on that day and those who left since 1 January (2 queries)."""
    year_start = datetime.date(as_of.year, 1, 1)
    open_on = Q(closed=False) | Q(closed_on__gt=as_of)
    memberships = (
        with_terms_on(Membership.objects.filter(groupement=groupement, admitted_on__lte=as_of), as_of)
        .filter(Q(left_on__isnull=True) | Q(left_on__gte=year_start))
        .select_related("legal_entity")
        .prefetch_related(
            Prefetch(
                "legal_entity__establishments",
                queryset=Establishment.objects.filter(open_on).order_by("name", "finess"),
                to_attr="open_establishments",
            ),
        )
        .order_by("legal_entity__name", "admitted_on", "id")
    )
    members, partners = [], []
    for membership in memberships:
        row = _row(membership, as_of)
        (partners if membership.category == MembershipCategory.PARTNER else members).append(row)
    current = [member for member in members if member.active]
    return Register(
        as_of=as_of,
        year=as_of.year,
        members=members,
        partners=partners,
        total_voting_rights=sum((m.voting_rights or Decimal(0) for m in current), Decimal(0)),
        total_share=sum((m.contribution_share or Decimal(0) for m in current), Decimal(0)),
    )


def members_register_context(groupement: Groupement, subject_key: str, year: int | None, progress) -> dict:
    """Context of the register of members (PDF) and of the members list (XLSX)."""
    as_of = reference_date(year)
    progress(10, "Lecture des adhésions")
    register = register_of_members(groupement=groupement, as_of=as_of)
    progress(100, "Données prêtes")
    suffix = f" — {year}" if year else ""
    return {
        "groupement": groupement,
        "register": register,
        "document_title": f"Registre des membres — {groupement.name}{suffix}",
    }


def members_list_context(groupement: Groupement, subject_key: str, year: int | None, progress) -> dict:
    context = members_register_context(groupement, subject_key, year, progress)
    suffix = f" — {year}" if year else ""
    context["document_title"] = f"Liste des membres — {groupement.name}{suffix}"
    return context


def _member_cells(m: MemberRow) -> tuple:
    share = None if m.contribution_share is None else m.contribution_share / HUNDRED
    return (
        m.name, m.finess, m.statut_label, m.category_label, "oui" if m.founding else "non", m.admitted_on,
        m.admission_act, m.left_on, m.leave_reason, m.voting_rights, share, len(m.establishments), m.address,
        m.postal_code, m.city,
    )  # fmt: skip


def _establishment_cells(m: MemberRow, e: EstablishmentRow) -> tuple:
    return (
        e.finess, e.name, e.category_code, e.category_label, m.finess, m.name, m.category_label, e.address,
        e.postal_code, e.city,
    )  # fmt: skip


def members_list_sheets(context: dict) -> list[Sheet]:
    """Sheet « Membres » (one row per member) and sheet « Établissements » (one row per establishment)."""
    register: Register = context["register"]
    rows = [*register.members, *register.partners]
    members = Sheet(
        name="Membres",
        columns=[
            Column("Entité juridique", 40),
            Column("FINESS EJ", 12),
            Column("Statut juridique", 30),
            Column("Catégorie", 24),
            Column("Fondateur", 10),
            Column("Admis le", 12, FORMAT_DATE),
            Column("Acte d'admission", 30),
            Column("Sorti le", 12, FORMAT_DATE),
            Column("Motif de sortie", 14),
            Column("Droits de vote", 14, FORMAT_NUMBER),
            Column("Part des charges", 14, FORMAT_PERCENT),
            Column("Établissements", 14, FORMAT_INTEGER),
            Column("Adresse", 40),
            Column("Code postal", 11),
            Column("Commune", 24),
        ],
        rows=[_member_cells(member) for member in rows],
    )
    establishments = Sheet(
        name="Établissements",
        columns=[
            Column("FINESS ET", 12),
            Column("Établissement", 40),
            Column("Catégorie FINESS", 10),
            Column("Libellé de la catégorie", 40),
            Column("FINESS EJ", 12),
            Column("Entité juridique", 40),
            Column("Catégorie d'adhésion", 24),
            Column("Adresse", 40),
            Column("Code postal", 11),
            Column("Commune", 24),
        ],
        rows=[
            _establishment_cells(member, establishment) for member in rows for establishment in member.establishments
        ],
    )
    return [members, establishments]


def register_document_kinds() -> None:
    """Declare this room's kinds of document (called from ``MembersConfig.ready``)."""
    # The register is annexed to the convention constitutive: the ARS and the départements read its
    # final versions. The list (a working spreadsheet) stays with the groupement's staff.
    registry.register(
        MEMBERS_REGISTER,
        format="pdf",
        title="Registre des membres",
        builder=members_register_context,
        template="print/members_register.html",
        subject=registry.SUBJECT_GROUPEMENT_YEAR,
        audience=frozenset({registry.Audience.STAFF, registry.Audience.READERS}),
    )
    registry.register(
        MEMBERS_LIST,
        format="xlsx",
        title="Liste des membres (tableur)",
        builder=members_list_context,
        sheets=members_list_sheets,
        subject=registry.SUBJECT_GROUPEMENT_YEAR,
        audience=frozenset({registry.Audience.STAFF}),
    )
