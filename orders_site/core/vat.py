"""EU VAT numbers (issue 14, item 6): checked in format and check digits per country with
python-stdnum (what it knows of each member state's rules is better kept than ours would be).
A business customer is one with a VAT number; their invoices go out as e-invoices (Factur-X)."""

from django.core.exceptions import ValidationError
from stdnum.eu import vat
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength
from stdnum.exceptions import ValidationError as Bad


def vat_number_compact(value: str) -> str:
    """The number without spaces, dots or dashes, with its country prefix ("NL 8547.12.345.B01"
    -> "NL854712345B01"). Raises django's ValidationError with what is wrong."""
    value = (value or "").strip()
    if not value:
        return ""
    try:
        return vat.validate(value)
    except InvalidComponent as error:
        raise ValidationError(
            "Start the VAT number with its country code (NL, DE, BE, FR, ...).", code="vat_country"
        ) from error
    except InvalidLength as error:
        raise ValidationError("This VAT number has the wrong length for its country.", code="vat_length") from error
    except InvalidChecksum as error:
        raise ValidationError(
            "This VAT number's check digits do not hold: check it with the customer.", code="vat_checksum"
        ) from error
    except (InvalidFormat, Bad) as error:
        raise ValidationError("This is not a VAT number of that country's format.", code="vat_format") from error


def vat_number_validator(value: str) -> None:
    """A model field validator: a message beside the field for a number that is not valid."""
    vat_number_compact(value)
