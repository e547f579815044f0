"""The ANS daily "structures" flux (JSON: ``pmej[]`` with nested ``ege[]``)."""

import json
from collections.abc import Callable, Iterator

from members.eligibility import normalize_code
from members.finess.parsing.common import (
    SIX_PLACES,
    TWO_PLACES,
    CellError,
    FinessFileError,
    LineError,
    Record,
    SourceFile,
    check_lengths,
    departement_from_commune,
    departement_id,
    read_ape,
    read_date,
    read_decimal,
    read_finess,
    read_siren,
    read_siret,
)


def json_records(finess_file: SourceFile, report, *, want: str) -> Iterator[Record | LineError]:
    """Records of the ANS flux; ``line`` is the record's rank in the file (1-based, EJ and ET)."""
    data = load_json_flux(finess_file)
    rank = 0
    items = data.get("pmej") or []
    for index, pmej in enumerate(items, start=1):
        rank += 1
        info = pmej.get("informationsGeneralesPMEJ") if isinstance(pmej, dict) else None
        if not isinstance(info, dict):
            if want == "EJ":
                yield LineError(rank, f"structure inattendue (pmej n° {index} sans informationsGeneralesPMEJ)")
            continue
        ej_number = str(info.get("numFinessPm") or "").strip()
        if want == "EJ":
            yield _guard(_json_entity, rank, index, pmej)
        for ege_index, ege in enumerate(pmej.get("ege") or [], start=1):
            rank += 1
            if want == "ET":
                yield _guard(_json_establishment, rank, index, ege_index, ege, ej_number)
        if report is not None and index % 500 == 0:
            report(index / len(items))


def _guard(build: Callable[..., Record | LineError], rank: int, *args) -> Record | LineError:
    """A record of the flux, or a rejected line when its structure is not the schema's."""
    try:
        return build(rank, *args)
    except (AttributeError, TypeError, KeyError):
        return LineError(rank, f"structure inattendue (élément n° {rank} du flux)")


def _text(data: dict, key: str) -> str:
    value = data.get(key)
    return str(value).strip() if value is not None else ""


def _json_address(addresses: list, usage: str) -> tuple[dict[str, object], dict]:
    """Model address fields from the ANS ``adresse[]`` (the one of ``usage``, else the first)."""
    if not addresses:
        return {}, {}
    address = next((a for a in addresses if a.get("usageAdresse") == usage), addresses[0])
    postal_code, city = _text(address, "codePostal"), _text(address, "ligneAcheminement")
    values = {
        "street_number": _text(address, "numeroVoie"),
        "street_type": _text(address, "typeVoie"),
        "street_name": _text(address, "libelleVoie"),
        "street_complement": _text(address, "complementVoie"),
        "locality": _text(address, "lieuDit"),
        "distribution_complement": _text(address, "complementPointGeographique"),
        "commune_code": _text(address, "cogCommune"),
        "routing_line": f"{postal_code} {city}".strip(),
    }
    return values, address


def _json_contact(contacts: list) -> dict[str, object]:
    telecom = next((c.get("telecom") or {} for c in contacts or [] if c.get("telecom")), {})
    return {"phone": _text(telecom, "telephone"), "fax": _text(telecom, "telecopie")}


def _json_state(node: dict, info: dict) -> dict[str, object]:
    """Closed when the état is I (inactive) or a closing date is given; closed_on is that date."""
    closing = read_date(_text(info, "dateFermeture"), "dateFermeture")
    if _text(node, "etatObjet") == "I" or closing is not None:
        return {"closed": True, "closed_on": closing or read_date(_text(node, "dateDerniereMaj"), "dateDerniereMaj")}
    return {"closed": False, "closed_on": None}


def _json_entity(rank: int, index: int, pmej: dict) -> Record | LineError:
    info = pmej.get("informationsGeneralesPMEJ") or {}
    where = f"pmej n° {index}"
    try:
        finess = read_finess(_text(info, "numFinessPm"), f"numFinessPm, {where}")
        name = _text(info, "denominationPm")
        if not name:
            raise CellError(f"raison sociale vide (denominationPm, {where})")
        statut = normalize_code(_text(info, "statutJuridique"))
        if not (len(statut) in (2, 3) and statut.isdigit()):
            raise CellError(f"statut juridique invalide « {statut} » (statutJuridique, {where})")
        address, _ = _json_address(pmej.get("adresse") or [], usage="02")
        values = {
            "name": name,
            "long_name": _text(info, "denominationLonguePmSmsse"),
            # The sample's value ("ASS AFIS") is a complement of the name, not of the address.
            "complement": _text(info, "complementAdressePmSmsse"),
            "statut_code": statut,
            "siren": read_siren(_text(info, "siren")),
            "ape_code": read_ape(_text(info, "codeApe")),
            "created_on": read_date(_text(info, "dateCreation"), f"dateCreation, {where}"),
            "finess_updated_on": read_date(_text(pmej, "dateDerniereMaj"), f"dateDerniereMaj, {where}"),
            **address,
            "departement_code": departement_from_commune(str(address.get("commune_code", ""))),
            **_json_contact(pmej.get("contact") or []),
            **_json_state(pmej, info),
        }
        check_lengths(values, "EJ")
    except CellError as error:
        return LineError(rank, str(error), _text(info, "numFinessPm"))
    return Record(rank, finess, values)


def _json_coordinates(address: dict) -> dict[str, object]:
    coordinates = address.get("coordonneesGeographique")
    if not coordinates:
        return {"coord_x": None, "coord_y": None, "coord_source": "", "latitude": None, "longitude": None}
    x = read_decimal(_text(coordinates, "coordonneeX"), "coordonneeX", TWO_PLACES, 10**10)
    y = read_decimal(_text(coordinates, "coordonneeY"), "coordonneeY", TWO_PLACES, 10**10)
    # The ANS sample writes the Lambert 93 northing in coordonneeX and the easting in coordonneeY
    # (X = 6 589 480, Y = 941 342 for Divonne-les-Bains, whose easting is about 941 000). Metropolitan
    # Lambert 93 eastings are below 1 300 000 and northings above 6 000 000, so such a pair is swapped back.
    if x is not None and y is not None and x > 6_000_000 and y < 1_300_000:
        x, y = y, x
    score = _text(coordinates, "scoreBAN")
    source = "ANS flux structures, BAN" + (f" (score {score[:6]})" if score else "")
    return {
        "coord_x": x,
        "coord_y": y,
        "coord_source": source,
        "latitude": read_decimal(_text(coordinates, "directionLatitude"), "directionLatitude", SIX_PLACES, 1000),
        "longitude": read_decimal(_text(coordinates, "directionLongitude"), "directionLongitude", SIX_PLACES, 1000),
    }


def _json_establishment(rank: int, index: int, ege_index: int, ege: dict, ej_number: str) -> Record | LineError:
    info = ege.get("informationsGeneralesEGE") or {}
    where = f"pmej n° {index}, ege n° {ege_index}"
    try:
        finess = read_finess(_text(info, "numFinessEge"), f"numFinessEge, {where}")
        ej = read_finess(ej_number, f"numFinessPm, {where}")
        name = _text(info, "nomEgeCourt")
        if not name:
            raise CellError(f"raison sociale vide (nomEgeCourt, {where})")
        address, raw_address = _json_address(ege.get("adresse") or [], usage="03")
        commune = str(address.get("commune_code", ""))
        values = {
            "name": name,
            "long_name": _text(info, "nomEgeLong"),
            "complement": _text(info, "complementDenominationEg"),
            "category_code": _text(ege, "categorieentiteGeographiqueExercice"),
            "mft_code": _text(ege, "modefixationtarifaire"),
            "siret": read_siret(_text(info, "siret")),
            "opened_on": read_date(_text(info, "dateOuverture"), f"dateOuverture, {where}"),
            "authorized_on": read_date(_text(info, "datePremiereAutorisation"), f"datePremiereAutorisation, {where}"),
            "finess_updated_on": read_date(_text(ege, "dateDerniereMaj"), f"dateDerniereMaj, {where}"),
            **address,
            "departement_id": departement_id(departement_from_commune(commune)),
            **_json_coordinates(raw_address),
            **_json_contact(ege.get("contact") or []),
            **_json_state(ege, info),
        }
        check_lengths(values, "ET")
    except CellError as error:
        return LineError(rank, str(error), _text(info, "numFinessEge"))
    return Record(rank, finess, values, legal_entity_finess=ej)


def load_json_flux(finess_file: SourceFile) -> dict:
    """The parsed flux, read once per file (``detect`` validates it before any write)."""
    if finess_file.json_data is not None:
        return finess_file.json_data
    try:
        with open(finess_file.path, encoding="utf-8-sig") as handle:
            data = json.load(handle)
    except (ValueError, UnicodeDecodeError) as error:
        raise FinessFileError(f"Le fichier « {finess_file.name} » n'est pas un JSON lisible : {error}.") from None
    if not isinstance(data, dict) or not isinstance(data.get("pmej"), list):
        raise FinessFileError(
            f"Le fichier « {finess_file.name} » n'est pas un flux FINESS : il n'a pas de liste « pmej »."
        )
    finess_file.json_data = data
    return data
