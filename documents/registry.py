"""Which kinds of document exist, and how each is built. Domain rooms register their kinds here.

``documents`` knows jobs, storage and rendering, and nothing of the domain (architecture.md §2):
each room calls ``register`` in its ``AppConfig.ready()`` with a context builder (reads its own
data) and a print template (PDF) or a sheets function (XLSX).

A builder is ``builder(groupement, subject_key, year, progress) -> dict``; ``progress(percent, step)``
reports its own advance from 0 to 100 with a French step name. It raises
``core.exceptions.BusinessRuleError`` (French message) when the document cannot be made: the job
then fails at once, without retrying.
"""

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from core.exceptions import BusinessRuleError
from documents.enums import DocumentKind


Progress = Callable[[int, str], None]
Builder = Callable[[Any, str, int | None, Progress], dict[str, Any]]

KIND_CODE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")


@dataclass(frozen=True)
class Column:
    """One column of a sheet: header, width (in characters) and an Excel number format."""

    header: str
    width: float = 15
    number_format: str | None = None


@dataclass(frozen=True)
class Sheet:
    """One worksheet of an XLSX document: its name (≤ 31 characters), columns and rows of values."""

    name: str
    columns: Sequence[Column]
    rows: Iterable[Sequence[Any]] = field(default_factory=list)


@dataclass(frozen=True)
class KindSpec:
    kind: str
    format: Literal["pdf", "xlsx"]
    title: str
    builder: Builder
    template: str | None = None
    sheets: Callable[[dict[str, Any]], list[Sheet]] | None = None
    available: Callable[[Any], bool] | None = None

    def is_available_for(self, groupement) -> bool:
        return self.available is None or bool(self.available(groupement))


_KINDS: dict[str, KindSpec] = {}


def register(
    kind: str,
    *,
    format: Literal["pdf", "xlsx"],
    title: str,
    builder: Builder,
    template: str | None = None,
    sheets: Callable[[dict[str, Any]], list[Sheet]] | None = None,
    available: Callable[[Any], bool] | None = None,
) -> KindSpec:
    """Declare a kind of document: a PDF from ``template``, or an XLSX from ``sheets(context)``.

    ``kind`` is one of ``DocumentKind``'s codes (tests may register their own codes).
    ``available(groupement)`` says whether the kind is offered for that groupement (default: yes).
    Registering the same kind twice with the same builder is harmless (``ready()`` may run twice).
    """
    kind = str(kind)
    if not KIND_CODE.match(kind):
        raise ValueError(f"Invalid document kind code: {kind!r}")
    if format == "pdf" and not template:
        raise ValueError(f"Kind {kind!r}: a PDF needs a print template")
    if format == "xlsx" and sheets is None:
        raise ValueError(f"Kind {kind!r}: an XLSX needs a sheets function")
    if format not in ("pdf", "xlsx"):
        raise ValueError(f"Kind {kind!r}: unknown format {format!r}")
    spec = KindSpec(
        kind=kind, format=format, title=title, builder=builder, template=template, sheets=sheets, available=available
    )
    existing = _KINDS.get(kind)
    if existing is not None and existing.builder is not builder:
        raise ValueError(f"Kind {kind!r} is already registered by another builder")
    _KINDS[kind] = spec
    return spec


def get(kind: str) -> KindSpec:
    """The registered kind, or a French rule error if nothing can build it here."""
    try:
        return _KINDS[kind]
    except KeyError:
        raise BusinessRuleError(f"Le type de document « {kind} » n'est pas disponible.") from None


def is_registered(kind: str) -> bool:
    return kind in _KINDS


def kinds_for(groupement) -> list[KindSpec]:
    """The kinds offered for ``groupement``, in the catalogue's order."""
    order = {code: index for index, code in enumerate(DocumentKind.values)}
    specs = [spec for spec in _KINDS.values() if spec.is_available_for(groupement)]
    return sorted(specs, key=lambda spec: (order.get(spec.kind, len(order)), spec.kind))


def title_of(kind: str) -> str:
    """The title of a registered kind, else its catalogue label, else the code."""
    spec = _KINDS.get(kind)
    if spec is not None:
        return spec.title
    try:
        return DocumentKind(kind).label
    except ValueError:
        return kind
