"""Input validation of the members pages. Forms never write: views pass ``cleaned_data`` to services."""

from django import forms

from members.enums import MembershipCategory
from members.models import LegalEntity
from members.selectors import (
    MEMBER_SORT_CHOICES,
    MEMBER_SORTS,
    MEMBER_STATUS_CHOICES,
    MEMBER_STATUS_CURRENT,
    MemberListFilters,
)


ACT_HELP = (
    "L'acte qui fonde la décision, tel qu'il sera cité : par exemple « Délibération de l'assemblée générale "
    "n° 2026-04 du 12 mars 2026 ». "
)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def date_field(label: str, help_text: str = "") -> forms.DateField:
    return forms.DateField(
        label=label,
        help_text=help_text,
        widget=DateInput(),
        error_messages={"invalid": "Saisissez une date valide (jj/mm/aaaa)."},
    )


def act_field(label: str, help_text: str = ACT_HELP) -> forms.CharField:
    return forms.CharField(label=label, max_length=300, help_text=help_text)


def decimal_field(label: str, *, max_digits: int, decimal_places: int, help_text: str = "", **kwargs):
    return forms.DecimalField(
        label=label,
        max_digits=max_digits,
        decimal_places=decimal_places,
        help_text=help_text,
        localize=True,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
        error_messages={"invalid": "Saisissez un nombre (par exemple 12,5)."},
        **kwargs,
    )


class FinessField(forms.ModelChoiceField):
    """A legal entity typed as its FINESS number (spaces and case forgiven)."""

    def to_python(self, value):
        return super().to_python((value or "").replace(" ", "").strip().upper())


class MemberFilterForm(forms.Form):
    """Filters of the members list. Unknown values fall back to the defaults: never an error page."""

    status = forms.ChoiceField(label="Situation", choices=MEMBER_STATUS_CHOICES, required=False)
    category = forms.ChoiceField(
        label="Catégorie", choices=[("", "Toutes"), *MembershipCategory.choices], required=False
    )
    departement = forms.ChoiceField(label="Département des établissements", required=False)
    sort = forms.ChoiceField(label="Trier par", choices=MEMBER_SORT_CHOICES, required=False)

    def __init__(self, data=None, *, departements=(), **kwargs):
        super().__init__(data, **kwargs)
        self.fields["departement"].choices = [("", "Tous"), *((d.code, str(d)) for d in departements)]

    def filters(self) -> MemberListFilters:
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        sort = data.get("sort") or "name"
        return MemberListFilters(
            category=data.get("category") or "",
            status=data.get("status") or MEMBER_STATUS_CURRENT,
            departement=data.get("departement") or "",
            sort=sort if sort in MEMBER_SORTS else "name",
        )


class LegalEntitySearchForm(forms.Form):
    q = forms.CharField(
        label="Rechercher une entité juridique",
        help_text="Numéro FINESS juridique (ou son début) ou partie de la raison sociale.",
        max_length=100,
        required=False,
    )


class MembershipAdmitForm(forms.Form):
    legal_entity = FinessField(
        label="FINESS juridique de l'entité",
        queryset=LegalEntity.objects.all(),
        to_field_name="finess",
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text", "maxlength": 9}),
        help_text="9 caractères. Utilisez la recherche ci-dessus si vous ne le connaissez pas.",
        error_messages={
            "required": "Indiquez le numéro FINESS juridique de l'entité à admettre.",
            "invalid_choice": (
                "Aucune entité juridique connue ne porte ce numéro FINESS. Vérifiez le numéro, ou importez "
                "d'abord le fichier FINESS qui la contient."
            ),
        },
    )
    category = forms.ChoiceField(label="Catégorie", choices=MembershipCategory.choices)
    founding = forms.BooleanField(
        label="Membre fondateur (admis par la convention constitutive)",
        required=False,
    )
    admitted_on = date_field("Date d'admission", "Premier jour comme membre.")
    act = act_field(
        "Acte d'admission",
        ACT_HELP + "Hors membres fondateurs, l'admission est votée à l'unanimité des membres présents ou "
        "représentés (art. R. 312-194-22 CASF).",
    )
    voting_rights = decimal_field(
        "Droits de vote", max_digits=9, decimal_places=2, help_text="0 pour un partenaire par convention."
    )
    contribution_share = decimal_field(
        "Part des charges (%)",
        max_digits=7,
        decimal_places=4,
        help_text="Pourcentage des charges de fonctionnement, entre 0 et 100.",
    )


class MembershipWithdrawForm(forms.Form):
    notified_on = date_field(
        "Retrait notifié le",
        "Au plus tard le 30 juin pour une sortie au 31 décembre de la même année (art. R. 312-194-10 CASF).",
    )
    left_on = date_field(
        "Sortie effective le",
        "Premier jour où l'entité n'est plus membre : le 1er janvier qui suit la fin de l'exercice.",
    )
    act = act_field("Acte du retrait", "La notification du retrait et, le cas échéant, l'avenant qui l'acte.")


class MembershipExcludeForm(forms.Form):
    hearing_on = date_field("Représentant du membre entendu le")
    decided_on = date_field("Exclusion décidée le", "Date de la délibération de l'assemblée générale.")
    left_on = date_field("Sortie effective le", "Premier jour où l'entité n'est plus membre.")
    act = act_field("Acte d'exclusion")


class MembershipTermsForm(forms.Form):
    valid_from = date_field("Applicable à partir du")
    voting_rights = decimal_field("Droits de vote", max_digits=9, decimal_places=2)
    contribution_share = decimal_field(
        "Part des charges (%)",
        max_digits=7,
        decimal_places=4,
        help_text="Pourcentage des charges de fonctionnement, entre 0 et 100.",
    )
    act = act_field("Acte")
