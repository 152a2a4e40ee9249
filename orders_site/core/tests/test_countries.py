from orders_site.core.countries import COUNTRY_NAMES, SHOP_COUNTRIES, country_choices, country_name


def test_codes_read_as_country_names():
    assert country_name("NL") == "Netherlands"
    assert country_name("gb") == "United Kingdom"
    assert country_name(" de ") == "Germany"
    assert country_name("KR") == "South Korea", "the common form, not ISO's 'Korea, Republic of'"


def test_an_unknown_code_is_shown_as_it_was_written():
    assert country_name("XX") == "XX"
    assert country_name("") == ""
    assert country_name(None) == ""


def test_every_iso_country_has_a_name_and_the_shop_offers_known_ones():
    assert len(COUNTRY_NAMES) == 249
    assert all(len(code) == 2 and code.isupper() and name for code, name in COUNTRY_NAMES.items())
    assert not [name for name in COUNTRY_NAMES.values() if ", " in name and "Ascension" not in name]
    assert country_choices()[:3] == [("NL", "Netherlands"), ("BE", "Belgium"), ("LU", "Luxembourg")]
    assert len(country_choices()) == len(SHOP_COUNTRIES)
