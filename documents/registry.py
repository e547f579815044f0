"""Which kinds of document exist, and how each is built. Domain rooms register their kinds here.

``documents`` knows jobs, storage and rendering, and nothing of the domain (architecture.md §2):
each room calls ``register`` in its ``AppConfig.ready()`` with a context builder (reads its own
data) and a print template (PDF) or a sheets function (XLSX). The documents room knows no kind by
name: a kind code is valid when a room has registered it (``validate_kind``).

Each kind says what its documents are about (its *subject*: the groupement, the groupement and a
year, or one object of the room, ``ObjectSubject``), who reads them (its *audience*: ``Audience``,
checked by ``documents.audience``), and whether the generic request form offers it
(``requestable``; a convocation, say, is produced by convening the assembly, never from the form).

A builder is ``builder(groupement, subject_key, year, progress) -> dict``; ``progress(percent, step)``
reports its own advance from 0 to 100 with a French step name. It raises
``core.exceptions.BusinessRuleError`` (French message) when the document cannot be made: the job
then fails at once, without retrying.
"""

import enum
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.urls import reverse

from core.exceptions import BusinessRuleError


Progress = Callable[[int, str], None]
Builder = Callable[[Any, str, int | None, Progress], dict[str, Any]]

KIND_CODE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
MODEL_LABEL = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")


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


class Audience(enum.StrEnum):
    """Who reads a kind's documents, besides producing them (``documents.audience`` decides who is who).

    ``STAFF``: the groupement's staff (``members.view_groupement`` on the groupement); always part of
    a kind's audience. ``MEMBERS``: the directors of an establishment whose legal entity is a member
    of the groupement today (partners by convention excluded). ``READERS``: the ARS reviewers of the
    groupement's région and the readers of one of its départements; they read final documents only.
    """

    STAFF = "staff"
    MEMBERS = "members"
    READERS = "readers"

    @property
    def label(self) -> str:
        return AUDIENCE_LABELS[self]


AUDIENCE_LABELS = {
    Audience.STAFF: "équipe du groupement",
    Audience.MEMBERS: "directeurs des membres",
    Audience.READERS: "ARS et départements (documents définitifs)",
}


@dataclass(frozen=True)
class ResolvedSubject:
    """A document's subject read back from its key: the object (None when it no longer exists), its
    French label and the URL of its page (empty when it has none)."""

    label: str
    url: str = ""
    obj: Any = None


def _key_value(key: str) -> str:
    return key.partition(":")[2]


@dataclass(frozen=True)
class GroupementSubject:
    """The groupement itself (key ``"groupement:<pk>"``), or, when ``with_year``, the groupement in a
    given year (key ``"year:<N>"``; without a year the key stays ``"groupement:<pk>"``)."""

    with_year: bool

    def resolve_many(self, groupement, keys: Iterable[str]) -> dict[str, ResolvedSubject]:
        """No query: the subject is the groupement already loaded."""
        url = reverse("members:groupement_dashboard", kwargs={"slug": groupement.slug})
        resolved = {}
        for key in keys:
            if key.startswith("year:"):
                resolved[key] = ResolvedSubject(f"{groupement.name}, année {_key_value(key)}", url, groupement)
            else:
                resolved[key] = ResolvedSubject(groupement.name, url, groupement)
        return resolved


SUBJECT_GROUPEMENT = GroupementSubject(with_year=False)
SUBJECT_GROUPEMENT_YEAR = GroupementSubject(with_year=True)


@dataclass(frozen=True)
class ObjectSubject:
    """One object of the room (key ``"<app_label>.<model>:<pk>"``, as ``subject_key_for`` builds it).

    ``resolve(groupement, pk)`` returns the groupement's object or None (it must refuse another
    groupement's object: the request service uses it to check the subject). ``resolve_many(groupement,
    pks)`` returns ``{pk: object}`` in one query; without it, a model with a ``groupement`` field is
    read in one query ``filter(groupement=…, pk__in=…)``, and any other model object by object
    (give ``resolve_many`` then, to keep lists constant in queries). ``label(obj)`` is the French
    label (default ``str(obj)``), ``url(obj)`` the URL of its page (default: none).
    """

    model: str
    resolve: Callable[[Any, str], Any]
    label: Callable[[Any], str] | None = None
    url: Callable[[Any], str] | None = None
    resolve_many: Callable[[Any, list[str]], Mapping[Any, Any]] | None = None

    def __post_init__(self) -> None:
        if not MODEL_LABEL.match(self.model):
            raise ValueError(f"ObjectSubject: model must be '<app_label>.<model>' in lower case, not {self.model!r}")

    @property
    def prefix(self) -> str:
        return f"{self.model}:"

    def _objects(self, groupement, pks: list[str]) -> dict[str, Any]:
        if self.resolve_many is not None:
            return {str(pk): obj for pk, obj in self.resolve_many(groupement, pks).items()}
        model = apps.get_model(self.model)
        try:
            model._meta.get_field("groupement")
        except FieldDoesNotExist:
            found = {pk: self.resolve(groupement, pk) for pk in pks}
            return {pk: obj for pk, obj in found.items() if obj is not None}
        return {str(obj.pk): obj for obj in model._default_manager.filter(groupement=groupement, pk__in=pks)}

    def describe(self, obj) -> ResolvedSubject:
        label = self.label(obj) if self.label is not None else str(obj)
        return ResolvedSubject(label, self.url(obj) if self.url is not None else "", obj)

    def resolve_many_subjects(self, groupement, keys: Iterable[str]) -> dict[str, ResolvedSubject]:
        keys = [key for key in keys if key.startswith(self.prefix)]
        objects = self._objects(groupement, sorted({_key_value(key) for key in keys}))
        resolved = {}
        for key in keys:
            obj = objects.get(_key_value(key))
            resolved[key] = self.describe(obj) if obj is not None else ResolvedSubject("objet supprimé")
        return resolved


Subject = GroupementSubject | ObjectSubject


@dataclass(frozen=True)
class KindSpec:
    kind: str
    format: Literal["pdf", "xlsx"]
    title: str
    builder: Builder
    template: str | None = None
    sheets: Callable[[dict[str, Any]], list[Sheet]] | None = None
    available: Callable[[Any], bool] | None = None
    subject: Subject = SUBJECT_GROUPEMENT
    audience: frozenset[Audience] = frozenset({Audience.STAFF})
    requestable: bool = True

    def is_available_for(self, groupement) -> bool:
        return self.available is None or bool(self.available(groupement))

    @property
    def takes_year(self) -> bool:
        """Whether a year may be given: the groupement-and-year subject, or an object's kind."""
        return self.subject is not SUBJECT_GROUPEMENT

    @property
    def is_about_an_object(self) -> bool:
        return isinstance(self.subject, ObjectSubject)

    def resolve_subject(self, groupement, subject_key: str) -> ResolvedSubject:
        """The subject of one document (see ``resolve_subjects`` for a list)."""
        return _resolve(self.subject, groupement, [subject_key])[subject_key]


def _resolve(subject: Subject, groupement, keys: list[str]) -> dict[str, ResolvedSubject]:
    if isinstance(subject, ObjectSubject):
        resolved = subject.resolve_many_subjects(groupement, keys)
        others = [key for key in keys if key not in resolved]
    else:
        resolved, others = {}, keys
    # Keys that do not match the kind's subject (older rows): read as the groupement's own.
    resolved.update(SUBJECT_GROUPEMENT_YEAR.resolve_many(groupement, others))
    return resolved


def resolve_subjects(documents: Iterable[Any]) -> dict[tuple[str, str], ResolvedSubject]:
    """The subject of each document (``kind``, ``subject_key``, ``groupement`` loaded), by
    ``(kind, subject_key)``: one query per room model and groupement on the page, none per row."""
    wanted: dict[tuple[Any, Any], tuple[Any, set[str]]] = {}
    kinds_by_key: dict[tuple[Any, str], set[str]] = defaultdict(set)
    for document in documents:
        spec = _KINDS.get(document.kind)
        subject = spec.subject if spec is not None else SUBJECT_GROUPEMENT
        entry = wanted.setdefault((subject, document.groupement_id), (document.groupement, set()))
        entry[1].add(document.subject_key)
        kinds_by_key[(subject, document.subject_key)].add(document.kind)
    result = {}
    for (subject, _), (groupement, keys) in wanted.items():
        for key, resolved in _resolve(subject, groupement, sorted(keys)).items():
            for kind in kinds_by_key[(subject, key)]:
                result[(kind, key)] = resolved
    return result


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
    subject: Subject = SUBJECT_GROUPEMENT,
    audience: Iterable[Audience] = frozenset({Audience.STAFF}),
    requestable: bool = True,
) -> KindSpec:
    """Declare a kind of document: a PDF from ``template``, or an XLSX from ``sheets(context)``.

    ``kind`` is a code of the room's choosing (``[a-z][a-z0-9_]``, at most 40 characters), unique
    across rooms. ``subject``: ``SUBJECT_GROUPEMENT``, ``SUBJECT_GROUPEMENT_YEAR`` or an
    ``ObjectSubject``. ``audience``: who reads the documents besides the groupement's staff, who
    always do. ``requestable=False``: the generic request form does not offer it; the room asks for
    it (``documents.services.document_request``) from its own action. ``available(groupement)`` says
    whether the kind is offered for that groupement (default: yes). Registering the same kind twice
    with the same builder is harmless (``ready()`` may run twice).
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
    if not isinstance(subject, GroupementSubject | ObjectSubject):
        raise ValueError(
            f"Kind {kind!r}: subject must be SUBJECT_GROUPEMENT, SUBJECT_GROUPEMENT_YEAR or an ObjectSubject"
        )
    audience = frozenset(Audience(member) for member in audience) | {Audience.STAFF}
    spec = KindSpec(
        kind=kind,
        format=format,
        title=title,
        builder=builder,
        template=template,
        sheets=sheets,
        available=available,
        subject=subject,
        audience=audience,
        requestable=bool(requestable),
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


def find(kind: str) -> KindSpec | None:
    """The registered kind, or None (a document of a kind no room registers any more)."""
    return _KINDS.get(kind)


def validate_kind(value: str) -> None:
    """Model validator of ``Document.kind`` and ``GenerationJob.kind``: a registered code."""
    if value not in _KINDS:
        raise ValidationError(
            "Le type de document « %(kind)s » n'est déclaré par aucune partie de l'application.",
            code="unknown_kind",
            params={"kind": value},
        )


def kinds_for(groupement, *, requestable: bool | None = None) -> list[KindSpec]:
    """The kinds offered for ``groupement``, in registration order; ``requestable=True``: only those
    the generic request form offers."""
    return [
        spec
        for spec in _KINDS.values()
        if spec.is_available_for(groupement) and (requestable is None or spec.requestable == requestable)
    ]


def kinds_read_by(audiences: Iterable[Audience]) -> list[KindSpec]:
    """The kinds whose audience meets ``audiences``."""
    audiences = frozenset(audiences)
    return [spec for spec in _KINDS.values() if spec.audience & audiences]


def title_of(kind: str) -> str:
    """The title of a registered kind, else the code itself."""
    spec = _KINDS.get(kind)
    return spec.title if spec is not None else kind
