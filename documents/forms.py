from django import forms
from django.utils import timezone

from documents.enums import DocumentStatus


class DocumentRequestForm(forms.Form):
    """Which document to produce: the requestable kinds offered for the groupement, a year (for the
    kinds about a year), final or draft. Kinds about an object of a room are asked for from that
    room's page, never here."""

    kind = forms.ChoiceField(label="Document")
    year = forms.IntegerField(
        label="Année",
        required=False,
        min_value=2000,
        max_value=2100,
        help_text="Sans année, le document décrit la situation du jour ; avec une année passée, celle du 31 décembre.",
    )
    final = forms.BooleanField(
        label="Document définitif (sans la mention « PROJET »)",
        required=False,
        help_text="Sinon, un projet est produit ; il pourra être finalisé après relecture.",
    )

    def __init__(
        self,
        *args,
        kinds: list[tuple[str, str]],
        can_finalise: bool,
        yearless_kinds: frozenset[str] = frozenset(),
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = kinds
        self.fields["year"].widget.attrs["placeholder"] = str(timezone.localdate().year)
        self.yearless_kinds = yearless_kinds
        if not can_finalise:
            del self.fields["final"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") in self.yearless_kinds and cleaned.get("year") is not None:
            self.add_error("year", "Ce document ne porte pas sur une année : laissez le champ « Année » vide.")
        return cleaned


class DocumentFilterForm(forms.Form):
    kind = forms.ChoiceField(label="Type de document", required=False)
    status = forms.ChoiceField(label="Statut", required=False, choices=[("", "Tous"), *DocumentStatus.choices])

    def __init__(self, *args, kinds: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", "Tous"), *kinds]
