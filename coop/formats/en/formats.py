"""The one way dates and times are shown, on the member pages and in the admin alike: "1 Dec
2026" and "1 Dec 2026, 14:30" (24-hour clock, in TIME_ZONE). Django's own English formats
("Dec. 1, 2026, 2:30 p.m.") would win over DATE_FORMAT in the settings, because localisation
is always on; a format module is how a project replaces them (FORMAT_MODULE_PATH).

Templates write `|date` (or `|date:"DATE_FORMAT"`) rather than a pattern of their own.
What people type is unchanged: Django's English input formats, ISO 8601 first (the admin's
date widgets fill in 2026-12-01)."""

DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y, H:i"
TIME_FORMAT = "H:i"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
MONTH_DAY_FORMAT = "j M"
YEAR_MONTH_FORMAT = "M Y"
