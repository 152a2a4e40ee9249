"""The shop's `en-gb` formats: Django's own (day before month), with times on the 24-hour clock
as people in the shop's Europe read them ("2 Dec 2026, 14:05", not "2:05 p.m.").

FORMAT_MODULE_PATH points here; names not set fall back to Django's en_GB formats.
"""

DATETIME_FORMAT = "j M Y, H:i"
TIME_FORMAT = "H:i"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
DATE_FORMAT = "j M Y"
SHORT_DATE_FORMAT = "d/m/Y"
THOUSAND_SEPARATOR = ","
DECIMAL_SEPARATOR = "."
NUMBER_GROUPING = 3
