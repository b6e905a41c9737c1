import pytest

from states import territory


def test_the_official_tree_after_the_2025_reform():
    assert len(territory.provinces()) == 34
    assert sum(len(territory.communes_of(p.code)) for p in territory.provinces()) == 3321
    assert territory.province(51).name == "Quảng Ngãi"


@pytest.mark.parametrize(
    "text,expected",
    [
        ("51", (51, None)),
        ("province:51", (51, None)),
        ("21211", (51, 21211)),
        ("commune:21211", (51, 21211)),
        ("00004", (1, 4)),
    ],
)
def test_parse_territory(text, expected):
    assert territory.parse_territory(text) == expected


@pytest.mark.parametrize("text", ["", "abc", "99", "99999", "district:5"])
def test_parse_territory_refuses_with_a_reason(text):
    with pytest.raises(ValueError):
        territory.parse_territory(text)
