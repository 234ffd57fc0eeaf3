"""Amounts of money as people read and type them, from and to integer minor units.

Money is stored as an `int` of minor units (`*_minor` fields: cents for EUR); people see
"1,250.00 EUR" and type "1250", "1250.5", "1,250.50" or "1250.50 EUR". The number of decimals
is the currency's ISO 4217 exponent (EUR 2, JPY 0, KWD 3), never a hard-coded 100.

Why a table and not babel: ISO 4217's "minor unit" is what banks and accounts use; babel
(CLDR) gives display digits, which differ for some currencies (CLDR shows IQD, RSD and LAK with
0 decimals where ISO 4217 keeps 3, 2 and 2), and it would add a dependency with megabytes of
locale data for one number per currency. The table below is ISO 4217's list of current
currencies (2025), minus the precious metals and testing codes, which have no minor unit.

Parsing (`parse_minor`), decided:
- digits with an optional decimal point: "25", "25.5", "25.50"; at most the currency's
  exponent in decimals ("25.500" is refused for EUR, it may mean twenty-five thousand five
  hundred);
- optional thousands separators, as the pages print them: commas between groups of exactly
  three digits ("1,234.50"); "25,50" is refused with a hint to use a point (the pages are in
  English, so a comma is never a decimal mark here);
- an optional currency code after the number, which must be the cooperative's ("25.00 EUR",
  so what `format_minor` prints reads back);
- no sign, no exponent, nothing else: a negative or garbled amount raises `InvalidInput`.

The module imports nothing from Django (only `coop.errors`, plain Python exceptions).
"""

import re

from .errors import InvalidInput

__all__ = ["CURRENCIES", "exponent", "format_minor", "parse_minor"]

# ISO 4217 minor units (decimals) of the current currencies.
_DECIMALS = {
    0: (
        "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND",
        "VUV", "XAF", "XOF", "XPF",
    ),
    2: (
        "AED", "AFN", "ALL", "AMD", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BGN",
        "BMD", "BND", "BOB", "BOV", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF", "CHE",
        "CHF", "CHW", "CNY", "COP", "COU", "CRC", "CUP", "CVE", "CZK", "DKK", "DOP", "DZD", "EGP",
        "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GTQ", "GYD", "HKD",
        "HNL", "HTG", "HUF", "IDR", "ILS", "INR", "IRR", "JMD", "KES", "KGS", "KHR", "KPW", "KYD",
        "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP",
        "MRU", "MUR", "MVR", "MWK", "MXN", "MXV", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR",
        "NZD", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "QAR", "RON", "RSD", "RUB", "SAR", "SBD",
        "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL",
        "THB", "TJS", "TMT", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "USD", "USN", "UYU", "UZS",
        "VED", "VES", "WST", "XCD", "XCG", "YER", "ZAR", "ZMW", "ZWG",
    ),
    3: (
        "BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND",
    ),
    4: ("CLF", "UYW"),
}
CURRENCIES: dict[str, int] = {code: n for n, codes in _DECIMALS.items() for code in codes}

# The largest amount a BigIntegerField holds.
_MAX_MINOR = 2**63 - 1

_AMOUNT = re.compile(
    r"""\s*
    (?P<units>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)
    (?:\.(?P<decimals>[0-9]+))?
    (?:\s*(?P<code>[A-Za-z]{3}))?
    \s*""",
    re.VERBOSE | re.ASCII,
)


def exponent(currency: str) -> int:
    """The number of decimals of `currency`'s minor unit (ISO 4217): EUR 2, JPY 0, KWD 3.
    An unknown code is a configuration error (ValueError)."""
    try:
        return CURRENCIES[currency]
    except KeyError:
        raise ValueError(f"{currency!r} is not an ISO 4217 currency code") from None


def format_minor(minor: int, currency: str, *, code: bool = True) -> str:
    """`minor` units as text, exactly (no float): 125000, "EUR" → "1,250.00 EUR";
    -5, "EUR" → "-0.05 EUR"; 1250, "JPY" → "1,250 JPY". `code=False` leaves the code off
    (tables whose heading names the currency)."""
    if isinstance(minor, bool) or not isinstance(minor, int):
        raise TypeError(f"an amount in minor units is an int, not {type(minor).__name__}")
    digits = exponent(currency)
    units, fraction = divmod(abs(minor), 10**digits)
    text = f"{'-' if minor < 0 else ''}{units:,}"
    if digits:
        text += f".{fraction:0{digits}d}"
    return f"{text} {currency}" if code else text


def parse_minor(text: str, currency: str, *, field: str = "amount") -> int:
    """What a person typed, as minor units of `currency` (≥ 0; see the module's docstring for
    what is accepted). Anything else raises `InvalidInput` naming `field`."""
    digits = exponent(currency)

    def refuse(message: str) -> InvalidInput:
        return InvalidInput(message, errors={field: [message]})

    if not isinstance(text, str):
        raise refuse("Enter an amount as text, e.g. 25.00.")
    if text.strip().startswith("-"):
        raise refuse("The amount cannot be negative.")
    match = _AMOUNT.fullmatch(text)
    if match is None:
        if re.fullmatch(r"\s*[0-9]+,[0-9]{1,2}\s*(?:[A-Za-z]{3})?\s*", text):
            raise refuse("Use a point for decimals, e.g. 25.50.")
        raise refuse(f"Enter an amount such as 25 or 25.50, not {text.strip()!r}.")
    code = match["code"]
    if code is not None and code.upper() != currency:
        raise refuse(f"Amounts are in {currency}, not {code.upper()}.")
    decimals = match["decimals"] or ""
    if len(decimals) > digits:
        raise refuse(f"{currency} amounts have no decimals." if digits == 0
                     else f"{currency} amounts have at most {digits} decimals.")
    units = int(match["units"].replace(",", ""))
    minor = units * 10**digits + (int(decimals.ljust(digits, "0")) if digits else 0)
    if minor > _MAX_MINOR:
        raise refuse("The amount is too large.")
    return minor


def positive_minor(amount_minor, *, field: str = "amount_minor") -> int:
    """An amount a service is given (a payment, revenue, an expense): a whole number of minor
    units above zero. bool is an int in Python, and a `true` amount is a client bug, not a
    cent."""
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int):
        raise InvalidInput("The amount must be a whole number of minor units.",
                           errors={field: ["Must be a whole number of minor units."]})
    if amount_minor <= 0:
        raise InvalidInput("The amount must be positive.",
                           errors={field: ["Must be greater than zero."]})
    return amount_minor

