"""Validators for French identifiers: FINESS, SIREN, SIRET.

FINESS numbers have 9 alphanumeric characters (ANS schema ``^[A-Za-z0-9]{9}$``); when all
nine are digits the ninth is a Luhn check digit over the nine (domain.md §5.1, checked on real
numbers). Corsican numbers (2A/2B) are accepted without a check: their rule is not published.
"""

import re

from django.core.exceptions import ValidationError


FINESS_RE = re.compile(r"^[0-9A-Za-z]{9}$")
LA_POSTE_SIREN = "356000000"


def luhn_ok(digits: str) -> bool:
    """True when ``digits`` passes the Luhn (mod 10) check."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def finess_error(value: str) -> str | None:
    """The French reason why ``value`` is not a FINESS number, or None when it is one."""
    if not FINESS_RE.match(value or ""):
        return f"« {value} » n'est pas un numéro FINESS : il faut 9 chiffres ou lettres."
    if value.isdigit() and not luhn_ok(value):
        return f"« {value} » n'est pas un numéro FINESS valide : la clé de contrôle ne correspond pas."
    return None


def validate_finess(value: str) -> None:
    if (error := finess_error(value)) is not None:
        raise ValidationError(error, code="invalid_finess")


def validate_siren(value: str) -> None:
    if not (value and len(value) == 9 and value.isdigit()):
        raise ValidationError(f"« {value} » n'est pas un SIREN : il faut 9 chiffres.", code="invalid_siren")
    if not luhn_ok(value):
        raise ValidationError(
            f"« {value} » n'est pas un SIREN valide : la clé ne correspond pas.", code="invalid_siren"
        )


def validate_siret(value: str) -> None:
    if not (value and len(value) == 14 and value.isdigit()):
        raise ValidationError(f"« {value} » n'est pas un SIRET : il faut 14 chiffres.", code="invalid_siret")
    # La Poste's establishments share one SIREN and use a sum-of-digits rule (INSEE); its seat passes Luhn.
    valid = luhn_ok(value) or (value.startswith(LA_POSTE_SIREN) and sum(int(c) for c in value) % 5 == 0)
    if not valid:
        raise ValidationError(
            f"« {value} » n'est pas un SIRET valide : la clé ne correspond pas.", code="invalid_siret"
        )
