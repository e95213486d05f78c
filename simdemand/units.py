"""Units, regime names and id conventions, defined once for the whole package."""

from __future__ import annotations

# --- time: the simulated clock counts hours; a year is a Julian year ---------------------------
SECONDS_PER_HOUR = 3600.0
HOURS_PER_DAY = 24.0
DAYS_PER_YEAR = 365.25
HOURS_PER_WEEK = 168
HOURS_PER_YEAR = HOURS_PER_DAY * DAYS_PER_YEAR
HOURS_PER_MONTH = HOURS_PER_YEAR / 12.0
SECONDS_PER_DAY = SECONDS_PER_HOUR * HOURS_PER_DAY
US_PER_HOUR = 3_600_000_000

# --- energy ------------------------------------------------------------------------------------
WH_PER_MWH = 1e6

# --- the three scaling regimes, as written in every table ----------------------------------------
PRETRAINING = "pretraining"
POST_TRAINING = "post-training"
TEST_TIME = "test-time"
REGIMES = (PRETRAINING, POST_TRAINING, TEST_TIME)

# --- ids ---------------------------------------------------------------------------------------
# Derivatives charged in bulk share one model id per family and technique: BASE~TECHNIQUE.
AGGREGATE_SEPARATOR = "~"


def aggregate_id(base_id: str, technique: str) -> str:
    """The model id of a family's derivatives of one technique charged in bulk."""
    return f"{base_id}{AGGREGATE_SEPARATOR}{technique}"
