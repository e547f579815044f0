import pytest
from django.core.exceptions import ValidationError

from core.validators import finess_error, validate_finess, validate_siren, validate_siret


class TestFiness:
    @pytest.mark.parametrize(
        "number",
        # Real numbers from the FINESS extracts (domain.md §5.1): ET and EJ, overseas too.
        ["010000024", "010780054", "970302287", "590799730", "980600027", "230000010", "230000465"],
    )
    def test_real_numbers_pass(self, number):
        validate_finess(number)

    def test_corsican_numbers_are_accepted_without_a_check(self):
        validate_finess("2A0000012")

    @pytest.mark.parametrize("number", ["010000025", "230000011"])
    def test_wrong_check_digit_is_refused_with_a_french_reason(self, number):
        assert "clé de contrôle" in finess_error(number)
        with pytest.raises(ValidationError):
            validate_finess(number)

    @pytest.mark.parametrize("number", ["", "12345678", "1234567890", "23000001-"])
    def test_wrong_shape_is_refused(self, number):
        assert "9 chiffres ou lettres" in finess_error(number)


class TestSirenSiret:
    def test_real_siren_and_siret(self):
        validate_siren("493844252")  # Fondation Jacques Chirac (EJ extract, dép. 23)
        validate_siret("26010004500012")  # CH de Fleyriat (ET extract)

    def test_la_poste_siret_uses_its_own_rule(self):
        validate_siret("35600000000048")  # the seat, which passes Luhn
        validate_siret("35600000012346")  # made up: digits add up to 30, a multiple of 5

    @pytest.mark.parametrize("value", ["493844253", "12345678", "abcdefghi"])
    def test_bad_siren(self, value):
        with pytest.raises(ValidationError):
            validate_siren(value)

    @pytest.mark.parametrize("value", ["26010004500013", "2601000450001"])
    def test_bad_siret(self, value):
        with pytest.raises(ValidationError):
            validate_siret(value)
