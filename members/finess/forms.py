"""Upload form of FINESS extracts: input checks only (core.uploads: size and type by content; then the layout)."""

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat

from core.uploads import UploadType, upload_check
from members.finess.parsing import SNIFF_BYTES, FinessFileError, sniff


MAX_FILES = 10


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """A file field that takes several files and cleans to a list."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".csv,.txt,.json,text/csv,application/json"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data] if data else [single(None, initial)]
        return [single(data, initial)]


class FinessUploadForm(forms.Form):
    files = MultipleFileField(
        label="Extraits FINESS",
        help_text=(
            "Un ou plusieurs fichiers, {limit} au plus chacun : extrait des établissements (etalab cs1100507 ou "
            "cs1100502), extrait des entités juridiques (etalab_stock_ej ou cs1100501), flux JSON de l'ANS. "
            "Les entités juridiques sont importées en premier, quel que soit l'ordre des fichiers."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["files"]
        field.help_text = field.help_text.replace("{limit}", filesizeformat(settings.UPLOAD_MAX_BYTES))

    def clean_files(self):
        files = self.cleaned_data["files"]
        if len(files) > MAX_FILES:
            raise forms.ValidationError(f"Envoyez au plus {MAX_FILES} fichiers à la fois.")
        for upload in files:
            upload.upload_type = upload_check(upload, types=(UploadType.TEXT,))
            name = upload.name or "fichier"
            head = upload.read(SNIFF_BYTES)
            upload.seek(0)
            try:
                sniff(head, name)
            except FinessFileError as error:
                raise forms.ValidationError(error.message) from None
        return files
