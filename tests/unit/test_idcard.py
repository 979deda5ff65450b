"""ID-card numbers (GB 11643-1999): check digit, birth date, shape, case, masking."""

from __future__ import annotations

from datetime import date

import pytest

from issuance.core.errors import Invalid
from issuance.core.idcard import check_character, mask, mask_name, parse_id_number

# Check characters worked by hand from the standard's weights: 1 0 X 9 8 7 6 5 4 3 2.
VALID = ["11010519491231002X", "440524198001010013", "610114200001011013"]


@pytest.mark.parametrize("number", VALID)
def test_valid_numbers_are_accepted_unchanged(number: str) -> None:
    assert parse_id_number(number).value == number


def test_check_character_follows_the_weights_and_table() -> None:
    first17 = "11010519491231002"
    total = sum(
        int(d) * w
        for d, w in zip(first17, (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2), strict=True)
    )
    assert total % 11 == 2
    assert check_character(first17) == "X"


@pytest.mark.parametrize("number", VALID)
def test_every_other_check_character_is_refused(number: str) -> None:
    for wrong in "0123456789X":
        if wrong == number[-1]:
            continue
        with pytest.raises(Invalid) as caught:
            parse_id_number(number[:17] + wrong)
        assert caught.value.key == "id.check_digit"


def test_lower_case_x_is_accepted_and_stored_upper_case() -> None:
    assert parse_id_number("11010519491231002x").value == "11010519491231002X"


def test_surrounding_spaces_are_trimmed() -> None:
    assert parse_id_number("  440524198001010013\n").value == "440524198001010013"


def test_full_width_digits_are_stored_as_ascii() -> None:
    full_width = "４４０５２４１９８００１０１００１３"
    assert parse_id_number(full_width).value == "440524198001010013"


def _with_check(first17: str) -> str:
    return first17 + check_character(first17)


@pytest.mark.parametrize(
    "birth", ["19990230", "20010229", "20001301", "20000001", "20000132", "00000101"]
)
def test_impossible_birth_dates_are_refused_even_with_a_right_check_digit(birth: str) -> None:
    with pytest.raises(Invalid) as caught:
        parse_id_number(_with_check(f"610114{birth}101"))
    assert caught.value.key == "id.birth_date"


def test_a_leap_day_birth_date_is_accepted() -> None:
    assert parse_id_number(_with_check("61011420000229101")).birth_date == date(2000, 2, 29)


def test_a_birth_date_in_the_future_is_refused() -> None:
    with pytest.raises(Invalid) as caught:
        parse_id_number(_with_check(f"610114{date.today().year + 1}0101101"))
    assert caught.value.key == "id.birth_date"


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "44052418800101001",  # 17 characters
        "4405241980010100134",  # 19 characters
        "44052418800101001A",  # letter other than X
        "X40524188001010014",  # X not last
        "4405241880010 0014",  # inner space
        "44052418800101001-",
        "٤٤٠٥٢٤١٨٨٠٠١٠١٠٠١٤",  # Arabic-Indic digits: digits, but not ours
        "15010119900101",  # old 15-digit number
    ],
)
def test_wrong_length_or_characters_are_refused(raw: str) -> None:
    with pytest.raises(Invalid) as caught:
        parse_id_number(raw)
    assert caught.value.key == "id.shape"


def test_sex_and_birth_date_are_read_from_the_number() -> None:
    number = parse_id_number("11010519491231002X")
    assert number.birth_date == date(1949, 12, 31)
    assert not number.is_male  # sequence 002 is even
    assert parse_id_number("440524198001010013").is_male  # 001 is odd


def test_masking_shows_the_first_six_and_last_four_as_the_platform_does() -> None:
    assert mask("610114200001011011") == "610114*****1011"
    assert parse_id_number("11010519491231002X").masked == "110105*****002X"


def test_masking_a_short_value_hides_everything() -> None:
    assert mask("12345") == "*****"


def test_masking_a_name_keeps_the_family_name() -> None:
    assert mask_name("朱鹏飞") == "朱**"
    assert mask_name("") == ""


def test_a_birth_year_before_1900_is_refused() -> None:
    with pytest.raises(Invalid) as caught:
        parse_id_number(_with_check("61011418500101101"))
    assert caught.value.key == "id.birth_date"
