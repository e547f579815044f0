"""Input validation of the functions pages. Forms never write: views pass ``cleaned_data`` to services."""

from django import forms

from functions.enums import FigureKind, KeyMethod, PostMode, PostSplit
from functions.models import FunctionType
from members.forms import date_field, decimal_field
from members.models import LegalEntity


def optional_date(label: str, help_text: str = "") -> forms.DateField:
    field = date_field(label, help_text)
    field.required = False
    return field


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.finess})"


class FunctionTypeForm(forms.Form):
    name = forms.CharField(
        label="Nom du type de fonction",
        max_length=200,
        help_text="Par exemple « Éthique », « Coordination médicale », « Mobilité ». Un type propre au groupement "
        "ne compte pas pour le minimum légal.",
    )


class FunctionForm(forms.Form):
    function_type = forms.ModelChoiceField(
        label="Type de fonction",
        queryset=FunctionType.objects.none(),
        help_text="Les sept fonctions prévues par la loi comptent pour le minimum légal (art. L. 312-7-2 CASF).",
        error_messages={
            "required": "Choisissez le type de fonction.",
            "invalid_choice": "Choisissez un type de la liste.",
        },
    )
    title = forms.CharField(label="Intitulé", max_length=200)
    description = forms.CharField(label="Description", widget=forms.Textarea(attrs={"rows": 3}), required=False)
    service = forms.CharField(
        label="Service rendu aux membres", widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    responsible = forms.CharField(label="Responsable", max_length=200, required=False)
    starts_on = date_field("Début", "Premier jour où la fonction est exercée.")
    ends_on = optional_date("Fin", "Dernier jour où la fonction est exercée. Vide : sans date de fin.")

    def __init__(self, *args, function_types, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["function_type"].queryset = function_types


class SubscriptionForm(forms.Form):
    legal_entity = MemberChoiceField(
        label="Membre",
        queryset=LegalEntity.objects.none(),
        help_text=(
            "Seuls les membres du groupement (hors partenaires) peuvent adhérer, pour une période où ils sont membres."
        ),
        error_messages={"required": "Choisissez le membre.", "invalid_choice": "Choisissez un membre de la liste."},
    )
    starts_on = date_field("Début", "Premier jour d'adhésion à la fonction.")
    ends_on = optional_date("Fin", "Dernier jour d'adhésion. Vide : sans date de fin.")

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["legal_entity"].queryset = LegalEntity.objects.filter(pk__in=[m.pk for m in members]).order_by(
            "name"
        )


class SubscriptionEndForm(forms.Form):
    ends_on = date_field("Fin", "Dernier jour d'adhésion à la fonction (inclus).")


class PostForm(forms.Form):
    job_title = forms.CharField(label="Intitulé du poste", max_length=200)
    fte = decimal_field("Équivalent temps plein (ETP)", max_digits=4, decimal_places=2, help_text="Par exemple 0,8.")
    mode = forms.ChoiceField(label="Mode", choices=PostMode.choices, widget=forms.RadioSelect)
    lending_member = MemberChoiceField(
        label="Membre employeur (mise à disposition)",
        queryset=LegalEntity.objects.none(),
        required=False,
        help_text=(
            "Pour un poste mis à disposition par un membre, que le groupement rembourse (art. L. 312-7 3° CASF)."
        ),
    )
    yearly_cost = decimal_field(
        "Coût annuel (€)", max_digits=12, decimal_places=2, help_text="Coût employeur d'une année pleine."
    )
    split = forms.ChoiceField(label="Répartition du temps", choices=PostSplit.choices, widget=forms.RadioSelect)
    starts_on = date_field("Début")
    ends_on = optional_date("Fin", "Dernier jour du poste. Vide : sans date de fin.")

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lending_member"].queryset = LegalEntity.objects.filter(pk__in=[m.pk for m in members]).order_by(
            "name"
        )


class OtherCostForm(forms.Form):
    year = forms.IntegerField(label="Année", min_value=2000, max_value=2100)
    label = forms.CharField(label="Libellé", max_length=200, help_text="Licence, achat, déplacements…")
    amount = decimal_field("Montant (€)", max_digits=12, decimal_places=2)


class CostKeyForm(forms.Form):
    """The key of one year, with one figure (and its source) per member subscribed that year."""

    method = forms.ChoiceField(label="Clé", choices=KeyMethod.choices, widget=forms.RadioSelect)
    figure_kind = forms.ChoiceField(
        label="Chiffre (clé au prorata)", choices=[("", "—"), *FigureKind.choices], required=False
    )
    act = forms.CharField(
        label="Acte", max_length=300, required=False, help_text="Convention constitutive, avenant ou délibération."
    )

    def __init__(self, *args, subscribers, **kwargs):
        super().__init__(*args, **kwargs)
        self.subscribers = subscribers
        for entity in subscribers:
            self.fields[f"value_{entity.pk}"] = decimal_field(
                f"Chiffre ou pourcentage de {entity.name} ({entity.finess})",
                max_digits=14,
                decimal_places=4,
                required=False,
            )
            self.fields[f"source_{entity.pk}"] = forms.CharField(
                label=f"Source du chiffre de {entity.name}", max_length=300, required=False
            )

    def rows(self):
        return [(entity, self[f"value_{entity.pk}"], self[f"source_{entity.pk}"]) for entity in self.subscribers]

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "method": data["method"],
            "figure_kind": data.get("figure_kind") or "",
            "act": data.get("act") or "",
            "figures": {
                entity: (data.get(f"value_{entity.pk}"), data.get(f"source_{entity.pk}") or "")
                for entity in self.subscribers
                if data.get(f"value_{entity.pk}") is not None
            },
        }


class PostHoursForm(forms.Form):
    def __init__(self, *args, subscribers, **kwargs):
        super().__init__(*args, **kwargs)
        self.subscribers = subscribers
        for entity in subscribers:
            self.fields[f"hours_{entity.pk}"] = decimal_field(
                f"Heures de {entity.name} ({entity.finess})", max_digits=7, decimal_places=1, required=False
            )

    def hours(self) -> dict:
        return {
            entity: self.cleaned_data[f"hours_{entity.pk}"]
            for entity in self.subscribers
            if self.cleaned_data.get(f"hours_{entity.pk}") is not None
        }
