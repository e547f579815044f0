"""One validator for every uploaded file: size, type told by content, normalised name, generated storage name.

A form's ``clean_<field>`` calls ``upload_check(upload, types=(…))``: it refuses, with a French
message naming the file and the limit, a file above ``settings.UPLOAD_MAX_BYTES`` (or the form's own
limit) or whose *content* is not one of the accepted types. The name the user gave and the declared
content type are never trusted: the type comes from the file's first bytes (magic numbers, a text
decode, the ZIP directory of an XLSX). A service then stores it with ``upload_store``: under a name
the server generates (``<folder>/<uuid>.<ext>``) through Django's storage API, with its SHA-256;
the user's file name is kept only for display (``display_name``), never as a path.
"""

import enum
import hashlib
import pathlib
import uuid
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat


HEAD_BYTES = 64 * 1024


class UploadType(enum.StrEnum):
    TEXT = "text"  # CSV, JSON and other plain text (FINESS extracts)
    PDF = "pdf"
    XLSX = "xlsx"

    @property
    def label(self) -> str:
        return {"text": "fichier texte, CSV ou JSON", "pdf": "document PDF", "xlsx": "classeur XLSX"}[self.value]

    @property
    def extension(self) -> str:
        return {"text": "txt", "pdf": "pdf", "xlsx": "xlsx"}[self.value]


@dataclass(frozen=True)
class StoredUpload:
    name: str  # the user's file name, normalised, for display only
    storage_name: str  # chosen by the server
    sha256: str
    size: int
    type: UploadType

    def as_dict(self) -> dict:
        return {"name": self.name, "storage_name": self.storage_name, "sha256": self.sha256, "size": self.size}


def display_name(name: str) -> str:
    """The user's file name, for display only: no folder, no control character, at most 200 characters."""
    base = pathlib.PurePath((name or "").replace("\\", "/")).name
    cleaned = " ".join("".join(ch for ch in base if ch.isprintable()).split())
    return cleaned[:200] or "fichier"


def _looks_like_text(head: bytes) -> bool:
    if not head or b"\x00" in head:
        return False
    if head.startswith((b"%PDF-", b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"\x89PNG", b"\xff\xd8\xff", b"GIF8")):
        return False
    controls = sum(1 for byte in head if byte < 32 and byte not in (9, 10, 12, 13))
    return controls == 0


def _is_xlsx(upload: UploadedFile) -> bool:
    try:
        with zipfile.ZipFile(upload) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    finally:
        upload.seek(0)
    return "[Content_Types].xml" in names and "xl/workbook.xml" in names


def content_type_of(upload: UploadedFile) -> UploadType | None:
    """The type of an uploaded file told by its content (None when it is none of ours)."""
    upload.seek(0)
    head = upload.read(HEAD_BYTES)
    upload.seek(0)
    if head.startswith(b"%PDF-"):
        return UploadType.PDF
    if head.startswith(b"PK\x03\x04"):
        return UploadType.XLSX if _is_xlsx(upload) else None
    if _looks_like_text(head):
        return UploadType.TEXT
    return None


def upload_check(upload: UploadedFile, *, types: tuple[UploadType, ...], max_bytes: int | None = None) -> UploadType:
    """The upload's type when it is acceptable; raises a French ``ValidationError`` naming the file otherwise."""
    limit = max_bytes if max_bytes is not None else settings.UPLOAD_MAX_BYTES
    name = display_name(upload.name or "")
    if upload.size is None or upload.size == 0:
        raise ValidationError(f"Le fichier « {name} » est vide.", code="empty")
    if upload.size > limit:
        raise ValidationError(
            f"Le fichier « {name} » est trop volumineux ({filesizeformat(upload.size)}) : "
            f"{filesizeformat(limit)} au plus.",
            code="too_big",
        )
    found = content_type_of(upload)
    if found not in types:
        expected = " ou ".join(kind.label for kind in types)
        what = f"son contenu est celui d'un {found.label}" if found else "son contenu n'est d'aucun type accepté"
        raise ValidationError(
            f"Le fichier « {name} » n'est pas du type attendu ({expected}) : {what}. "
            "Le nom ou l'extension du fichier ne comptent pas.",
            code="type",
        )
    return found


def upload_store(upload: UploadedFile, *, folder: str, type: UploadType) -> StoredUpload:
    """Store a checked upload under a generated name (``<folder>/<uuid>.<ext>``) through Django's storage."""
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    storage_name = default_storage.save(f"{folder}/{uuid.uuid4().hex}.{type.extension}", upload)
    return StoredUpload(
        name=display_name(upload.name or ""),
        storage_name=storage_name,
        sha256=digest.hexdigest(),
        size=upload.size,
        type=type,
    )
