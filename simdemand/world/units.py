"""Units of the simulated clock: hours, days and Julian years."""

HOURS_PER_DAY = 24.0
DAYS_PER_YEAR = 365.25
