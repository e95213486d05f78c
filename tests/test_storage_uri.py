"""Object storage URIs: the file system pyarrow gets for a gs:// folder."""

from __future__ import annotations

import datetime as dt

import pytest

from simdemand.results.storage import GCS_RETRY_LIMIT_S, remote, with_retry_limit


@pytest.mark.parametrize(
    ("uri", "seconds"),
    [
        ("gs://bucket/runs/a", GCS_RETRY_LIMIT_S),
        ("gcs://bucket/runs/a", GCS_RETRY_LIMIT_S),
        ("gs://bucket/runs/a?retry_limit_seconds=5", 5),
    ],
)
def test_a_gcs_uri_gives_up_after_its_retry_limit(uri: str, seconds: int) -> None:
    """Google Cloud Storage's client retries for 15 minutes by default (with no network a
    command seems to hang); a gs:// folder retries GCS_RETRY_LIMIT_S unless its URI sets
    its own limit, and keeps the URI it was given."""
    folder = remote(uri)
    options = folder.fs.__reduce__()[1][0]
    assert options["retry_time_limit"] == dt.timedelta(seconds=seconds)
    assert folder.uri == uri
    assert with_retry_limit("s3://bucket/runs/a") == "s3://bucket/runs/a"


def test_the_retry_limit_keeps_the_rest_of_the_query() -> None:
    """Other parameters, blank ones included, and a fragment pass through unchanged."""
    assert with_retry_limit("gs://b/p?scheme=http&x=#f") == (
        f"gs://b/p?scheme=http&x=&retry_limit_seconds={GCS_RETRY_LIMIT_S}#f"
    )
    assert with_retry_limit("gs://b/p?retry_limit_seconds=") == "gs://b/p?retry_limit_seconds="
