"""Problems found in co-op files: where, what is wrong, and how to fix it.

Every check in the project reports through ``Problem`` so that the command line, GitHub
annotations and the build all speak with one voice: ``path:line:column: field: what — fix``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One mistake in one file, with the position of the value it concerns."""

    path: str
    line: int
    column: int
    message: str
    hint: str = ""
    field: str = ""

    def __str__(self) -> str:
        """Render as ``path:line:column: field: message — hint``."""
        where = f"{self.field}: " if self.field else ""
        fix = f" — {self.hint}" if self.hint else ""
        return f"{self.path}:{self.line}:{self.column}: {where}{self.message}{fix}"

    def as_dict(self) -> dict[str, object]:
        """Return the problem as plain data for JSON output."""
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "field": self.field,
            "message": self.message,
            "hint": self.hint,
        }


class InvalidDirectory(Exception):
    """Raised when co-op files have problems; carries all of them, sorted by file and line."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


def field_name(path: tuple[str | int, ...]) -> str:
    """Write a value's path the way a person reads it: ``openings[0].apply``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text
