"""Input validation of the governance pages; the services hold the rules."""

from django import forms

from governance.enums import AnnexKind, ArsDecision, AttendanceStatus, DeliberationKind, OrdinaryMajority, VoteChoice
from governance.services import AttendanceInput
from members.enums import MembershipCategory, Opinion
from members.models import LegalEntity


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class MeetingForm(forms.Form):
    scheduled_at = forms.DateTimeField(label="Date et heure", widget=DateTimeInput())
    place = forms.CharField(label="Lieu", max_length=300, required=False)
    video_link = forms.URLField(label="Lien de visioconférence", required=False)
    urgent = forms.BooleanField(label="Urgence (convocation 48 heures avant, art. R. 312-194-20 CASF)", required=False)

    def clean(self):
        data = super().clean()
        if not data.get("place") and not data.get("video_link"):
            self.add_error("place", "Indiquez le lieu de la séance ou son lien de visioconférence.")
        return data


class SecondCallForm(forms.Form):
    scheduled_at = forms.DateTimeField(
        label="Date et heure de la seconde séance",
        widget=DateTimeInput(),
        help_text="Dans les 15 jours suivant la première séance, 8 en cas d'urgence (art. R. 312-194-22 CASF).",
    )
    place = forms.CharField(label="Lieu", max_length=300, required=False)


class DeliberationForm(forms.Form):
    kind = forms.ChoiceField(label="Nature", choices=DeliberationKind.choices)
    title = forms.CharField(label="Intitulé", max_length=300)
    description = forms.CharField(label="Exposé", widget=forms.Textarea(attrs={"rows": 3}), required=False)
    candidate_finess = forms.CharField(
        label="Admission : FINESS juridique de l'entité candidate", max_length=9, required=False
    )
    candidate_category = forms.ChoiceField(
        label="Admission : catégorie", choices=[("", "—"), *MembershipCategory.choices], required=False
    )
    candidate_voting_rights = forms.DecimalField(label="Admission : droits sociaux", required=False, min_value=0)
    candidate_contribution_share = forms.DecimalField(
        label="Admission : part des charges (%)", required=False, min_value=0, max_value=100
    )
    concerned_membership = forms.TypedChoiceField(
        label="Membre concerné (exclusion, retrait, élection)", coerce=int, required=False, empty_value=None
    )
    hearing_on = forms.DateField(label="Exclusion : audition du représentant le", widget=DateInput(), required=False)
    notified_on = forms.DateField(label="Retrait : notifié le", widget=DateInput(), required=False)
    effective_on = forms.DateField(label="Prend effet le", widget=DateInput(), required=False)
    director_candidate = forms.CharField(label="Candidat proposé ou élu", max_length=200, required=False)

    def __init__(self, *args, memberships=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["concerned_membership"].choices = [("", "—")] + [(m.pk, m.legal_entity.name) for m in memberships]
        self._memberships = {m.pk: m for m in memberships}

    def clean_candidate_finess(self):
        finess = self.cleaned_data["candidate_finess"].strip()
        if not finess:
            return None
        entity = LegalEntity.objects.filter(finess=finess).first()
        if entity is None:
            raise forms.ValidationError("Aucune entité juridique FINESS ne porte ce numéro.")
        return entity

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        data["candidate_entity"] = data.pop("candidate_finess")
        data["concerned_membership"] = self._memberships.get(data["concerned_membership"])
        return data


class AttendanceForm(forms.Form):
    """One row per member: presence, proxy holder, representative's name."""

    def __init__(self, *args, attendances=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = []
        holders = [("", "—")] + [(a.membership_id, a.membership.legal_entity.name) for a in attendances]
        for a in attendances:
            name = a.membership.legal_entity.name
            self.fields[f"status_{a.membership_id}"] = forms.ChoiceField(
                label=f"Présence de {name}", choices=AttendanceStatus.choices, initial=a.status
            )
            self.fields[f"holder_{a.membership_id}"] = forms.TypedChoiceField(
                label=f"Mandataire de {name}",
                choices=holders,
                coerce=int,
                required=False,
                empty_value=None,
                initial=a.proxy_holder_id or "",
            )
            self.fields[f"rep_{a.membership_id}"] = forms.CharField(
                label=f"Représentant de {name}", max_length=200, required=False, initial=a.representative_name
            )
            self.rows.append(
                {
                    "attendance": a,
                    "status": self[f"status_{a.membership_id}"],
                    "holder": self[f"holder_{a.membership_id}"],
                    "rep": self[f"rep_{a.membership_id}"],
                }
            )

    def inputs(self):
        return [
            AttendanceInput(
                membership_id=row["attendance"].membership_id,
                status=self.cleaned_data[f"status_{row['attendance'].membership_id}"],
                holder_id=self.cleaned_data[f"holder_{row['attendance'].membership_id}"],
                representative_name=self.cleaned_data[f"rep_{row['attendance'].membership_id}"],
            )
            for row in self.rows
        ]


class VotesForm(forms.Form):
    """One row per member present or represented: its vote (radio buttons, keyboard-friendly)."""

    def __init__(self, *args, deliberation, voters=(), votes=None, **kwargs):
        super().__init__(*args, prefix=f"d{deliberation.pk}", **kwargs)
        votes = votes or {}
        self.rows = []
        for a in voters:
            key = f"vote_{a.membership_id}"
            self.fields[key] = forms.ChoiceField(
                label=f"Vote de {a.membership.legal_entity.name}",
                choices=VoteChoice.choices,
                widget=forms.RadioSelect,
                initial=votes.get(a.membership_id, VoteChoice.FOR),
            )
            self.rows.append({"attendance": a, "field": self[key]})

    def choices(self) -> dict[int, str]:
        return {
            row["attendance"].membership_id: self.cleaned_data[f"vote_{row['attendance'].membership_id}"]
            for row in self.rows
        }


class ConventionVersionForm(forms.Form):
    signed_on = forms.DateField(label="Signée ou adoptée le", widget=DateInput())
    effective_on = forms.DateField(label="En vigueur à partir du", widget=DateInput())
    adoption_act = forms.CharField(label="Acte d'adoption", max_length=300)
    changes = forms.CharField(
        label="Ce qui change (avenant)", widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    convocation_days = forms.IntegerField(
        label="Délai de convocation (jours)",
        min_value=1,
        initial=15,
        help_text="Défaut légal : 15 jours (art. R. 312-194-20 CASF).",
    )
    urgent_convocation_hours = forms.IntegerField(
        label="Délai de convocation en urgence (heures)",
        min_value=1,
        initial=48,
        help_text="Défaut légal : 48 heures (art. R. 312-194-20 CASF).",
    )
    ordinary_majority = forms.ChoiceField(
        label="Majorité des décisions ordinaires",
        choices=OrdinaryMajority.choices,
        help_text="Défaut légal : majorité des voix des membres présents ou représentés (art. R. 312-194-22 CASF). "
        "L'unanimité (convention, admissions), la règle d'exclusion, le quorum et la limite d'une procuration "
        "ne sont pas réglables.",
    )
    signed_file = forms.FileField(label="Convention signée (PDF, 10 Mo au plus)", required=False)


class TransmissionForm(forms.Form):
    transmitted_on = forms.DateField(label="Transmise au DG ARS le", widget=DateInput(), required=False)
    ars_decision = forms.ChoiceField(
        label="Décision du DG ARS (facultative)",
        choices=[("", "Aucune décision rendue"), *ArsDecision.choices],
        required=False,
        help_text="Le droit est incertain : la transmission donne la personnalité morale ; une approbation "
        "n'est pas établie par les textes lus. Renseignez-la seulement si une décision a été rendue.",
    )
    ars_decision_on = forms.DateField(label="Décision du DG ARS le", widget=DateInput(), required=False)
    ars_decision_reference = forms.CharField(label="Référence de la décision", max_length=200, required=False)
    published_on = forms.DateField(label="Publiée au RAA le", widget=DateInput(), required=False)
    publication_reference = forms.CharField(label="Référence de publication (RAA)", max_length=200, required=False)


class AnnexForm(forms.Form):
    kind = forms.ChoiceField(label="Nature", choices=AnnexKind.choices)
    title = forms.CharField(label="Titre", max_length=200)
    file = forms.FileField(label="Fichier (PDF, 10 Mo au plus)")


class OpinionForm(forms.Form):
    departement = forms.ChoiceField(label="Département")
    opinion = forms.ChoiceField(label="Avis", choices=Opinion.choices)
    given_on = forms.DateField(label="Rendu le", widget=DateInput())
    reference = forms.CharField(label="Référence", max_length=200, required=False)

    def __init__(self, *args, departements=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["departement"].choices = [(d.pk, str(d)) for d in departements]


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label="Décision du DG ARS", choices=[("NOMINATED", "Nomination"), ("REFUSED", "Refus")]
    )
    decision_on = forms.DateField(label="Décision le", widget=DateInput())
    reference = forms.CharField(label="Référence de l'arrêté", max_length=200)


class QualificationForm(forms.Form):
    corps = forms.CharField(
        label="Corps (D3S)", max_length=200, initial="Directeur d'établissement sanitaire, social et médico-social"
    )
    since = forms.DateField(label="Titulaire du corps depuis le", widget=DateInput())


class MandateForm(forms.Form):
    start = forms.DateField(label="Début du mandat", widget=DateInput())
    end = forms.DateField(label="Fin du mandat (facultative)", widget=DateInput(), required=False)


class InterimForm(forms.Form):
    candidate_name = forms.CharField(label="Nom du directeur par intérim", max_length=200)


class ProxyForm(forms.Form):
    holder = forms.TypedChoiceField(label="Donner procuration à", coerce=int, required=False, empty_value=None)

    def __init__(self, *args, holders=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["holder"].choices = [("", "Retirer ma procuration")] + [
            (a.membership_id, a.membership.legal_entity.name) for a in holders
        ]
