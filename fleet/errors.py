"""Config errors that point at the file and the field a person has to fix."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

# Characters that would end a report line early or make it read other than it is: control
# characters, Unicode line breaks and bidirectional overrides. Config text (a key, a file name)
# can carry them into a message; a report keeps one problem per line whatever the config holds.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _one_line(text: str) -> str:
    return _UNPRINTABLE.sub(lambda match: match.group().encode("unicode_escape").decode(), text)


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
        return _one_line(f"{where}: {self.message}")


class FleetConfigError(Exception):
    """Raised when a fleet config has one or more problems; carries all of them."""

    def __init__(self, problems: Iterable[ConfigProblem]) -> None:
        self.problems: tuple[ConfigProblem, ...] = tuple(sorted(set(problems)))
        count = len(self.problems)
        super().__init__(f"{count} problem{'s' if count != 1 else ''} in the fleet config")

    def report(self) -> str:
        """All problems, one per line, sorted by file and field."""
        return "\n".join(str(problem) for problem in self.problems)
