from django import forms

from compliance.selectors import CoverageStatus


class CoverageFilterForm(forms.Form):
    """Which establishments of the coverage page are listed. Unknown values fall back to the defaults."""

    departement = forms.ChoiceField(label="Département", required=False)
    statut = forms.ChoiceField(label="Rattachement", choices=[("", "Tous"), *CoverageStatus.choices], required=False)

    def __init__(self, data=None, *, departements=(), **kwargs):
        super().__init__(data, **kwargs)
        self.fields["departement"].choices = [(d.code, str(d)) for d in departements]

    def choice(self) -> tuple[str, str]:
        """The chosen département code (``""``: the first one) and status (``""``: every status)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return data.get("departement") or "", data.get("statut") or ""
