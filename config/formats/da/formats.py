"""Danish dates as the municipality writes them: "5. december 2026", "december 2026"."""

DATE_FORMAT = "j. F Y"
DATETIME_FORMAT = "j. F Y H:i"
YEAR_MONTH_FORMAT = "F Y"
SHORT_DATE_FORMAT = "j. M Y"
