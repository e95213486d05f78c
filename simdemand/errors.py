"""Errors a user can act on: each names the file and the field at fault."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    """One problem in an input file: where it is and what is wrong."""

    path: str
    message: str


class InputError(Exception):
    """Bad input found before anything ran; carries one line per problem."""

    def __init__(self, source: str, errors: Sequence[FieldError]) -> None:
        self.source = source
        self.errors = tuple(errors)
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        """Return the problems as `file: dotted.path: message` lines."""
        return [f"{self.source}: {e.path}: {e.message}" for e in self.errors]


def single(source: str, path: str, message: str) -> InputError:
    """Return an InputError holding one problem."""
    return InputError(source, [FieldError(path, message)])
