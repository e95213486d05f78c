"""Object storage: run and sweep folders at a URI such as ``s3://bucket/prefix``.

Local folders keep the writer's and the store's own code (atomic renames, leftover cleaning);
a URI goes through `pyarrow.fs` (already a dependency, no other client needed), which takes its
credentials, region and endpoint from the environment (AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION, AWS_ENDPOINT_URL) or from the URI's query
(``?endpoint_override=host:port&scheme=http``). Google Cloud Storage's client retries a failing
operation for 15 minutes by default (with no network, a command would seem to hang): a
``gs://`` URI stops retrying after ``GCS_RETRY_LIMIT_S`` unless its query sets
``retry_limit_seconds``.

Object stores have no rename, but each object appears whole when its upload ends: a run is
complete if and only if its manifest.json exists, so a run's manifest is always written last
and removed first when the run is replaced.
"""

from __future__ import annotations

import json
import posixpath
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pyarrow.fs as pafs

# Seconds a failing gs:// operation is retried before the command fails (pyarrow's: 15 min).
GCS_RETRY_LIMIT_S = 15
GCS_SCHEMES = ("gs", "gcs")


def is_uri(location: str | Path) -> bool:
    """True for a URI with a scheme (s3://...), False for a local path."""
    return isinstance(location, str) and "://" in location and not location.startswith("file:")


@dataclass(frozen=True)
class Remote:
    """A folder on a `pyarrow.fs` file system: the file system, the path in it, the URI."""

    fs: pafs.FileSystem
    path: str
    uri: str

    def __truediv__(self, name: str) -> Remote:
        """The entry `name` in this folder."""
        return Remote(self.fs, posixpath.join(self.path, name), child(self.uri, name))

    @property
    def name(self) -> str:
        """The last part of the path."""
        return posixpath.basename(self.path)

    def __str__(self) -> str:
        """The URI."""
        return self.uri

    def is_file(self) -> bool:
        """True if an object is stored at this path."""
        return bool(self.fs.get_file_info(self.path).type == pafs.FileType.File)

    def files(self) -> list[str]:
        """Paths (relative to this folder) of every object under it, sorted."""
        selector = pafs.FileSelector(self.path, allow_not_found=True, recursive=True)
        infos = self.fs.get_file_info(selector)
        prefix = self.path.rstrip("/") + "/"
        return sorted(i.path.removeprefix(prefix) for i in infos if i.type == pafs.FileType.File)

    def read_text(self, encoding: str = "utf-8") -> str:
        """The object's content as text; FileNotFoundError if there is none."""
        if not self.is_file():
            raise FileNotFoundError(f"{self.uri}: no such object")
        with self.fs.open_input_stream(self.path) as f:
            return bytes(f.read()).decode(encoding)

    def write_bytes(self, data: bytes) -> None:
        """Store `data` at this path (the object appears whole, or not at all)."""
        with self.fs.open_output_stream(self.path) as f:
            f.write(data)

    def write_json(self, data: dict[str, Any]) -> None:
        """Store `data` as JSON (the writer's format: indented, sorted keys)."""
        self.write_bytes((json.dumps(data, indent=2, sort_keys=True) + "\n").encode())

    def delete(self) -> None:
        """Remove the object at this path, if any."""
        if self.is_file():
            self.fs.delete_file(self.path)


def child(location: str, name: str) -> str:
    """The entry `name` (a relative path) of the folder at `location`, a path or a URI."""
    if not is_uri(location):
        return str(Path(location) / name)
    parts = urlsplit(location)
    return urlunsplit(parts._replace(path=posixpath.join(parts.path, name)))


def remote(uri: str) -> Remote:
    """The folder at `uri`; OSError (naming it) if no file system serves its scheme."""
    try:
        fs, path = pafs.FileSystem.from_uri(with_retry_limit(uri))
    except ValueError as e:  # ArrowInvalid: a scheme no file system serves
        raise OSError(f"{uri}: {e}") from None
    return Remote(fs, path.rstrip("/"), uri.rstrip("/"))


def with_retry_limit(uri: str) -> str:
    """`uri`, with GCS_RETRY_LIMIT_S as its retry limit if it is a gs:// URI that sets none."""
    parts = urlsplit(uri)
    query = parse_qs(parts.query, keep_blank_values=True)
    if parts.scheme not in GCS_SCHEMES or "retry_limit_seconds" in query:
        return uri
    query["retry_limit_seconds"] = [str(GCS_RETRY_LIMIT_S)]
    return urlunsplit(parts._replace(query=urlencode(query, doseq=True)))
