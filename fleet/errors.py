"""Config errors that point at the file and the field a person has to fix."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .hints import one_line


@dataclass(frozen=True, order=True)
class ConfigProblem:
    """One mistake in a config file: where it is and what is wrong."""

    file: str
    """Path of the config file, relative to the working directory when possible."""
    location: str
    """Dotted field path inside the file, e.g. ``vms.1002.network.ip``; empty for the whole file."""
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.location}" if self.location else self.file
        return one_line(f"{where}: {self.message}")


class FleetConfigError(Exception):
    """Raised when a fleet config has one or more problems; carries all of them."""

    def __init__(self, problems: Iterable[ConfigProblem]) -> None:
        self.problems: tuple[ConfigProblem, ...] = tuple(sorted(set(problems)))
        count = len(self.problems)
        super().__init__(f"{count} problem{'s' if count != 1 else ''} in the fleet config")

    def report(self) -> str:
        """All problems, one per line, sorted by file and field."""
        return "\n".join(str(problem) for problem in self.problems)
