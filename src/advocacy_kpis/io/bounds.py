"""The limits a load holds every source to, whatever its format: what a hostile file cannot exceed.

A cell, a line or a file beyond one of these is refused with a reason (the row, or the file),
never allowed to exhaust memory, recursion or time. Each limit is far beyond what real exports
hold; the documentation's "Your data" page lists them.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "MAX_CELL_LENGTH",
    "MAX_DIGITS",
    "MAX_FILE_BYTES",
    "MAX_MESSAGE_LENGTH",
    "MAX_NESTING",
    "MAX_SETTINGS_BYTES",
]

MAX_CELL_LENGTH: Final = 1_048_576
"""The most characters a cell may hold (CSV, JSON lines, Parquet, rows and frames alike); a longer
cell refuses its row. Feedback and review text runs to a few thousand characters at most."""

MAX_DIGITS: Final = 50
"""The most digits a number may have, written out without an exponent: a whole number (a score, an
integer attribute, an integer id) or an amount (``1e999999999`` has a billion). Python's own limit
on reading an integer from text is 4,300 digits; beyond this one no count or amount is real."""

MAX_NESTING: Final = 64
"""The deepest a JSON value (a JSON line, an ``attributes`` cell) or the settings file may nest
arrays and objects. A record is one object with flat values, so a line needs two levels."""

MAX_FILE_BYTES: Final = 2 * 1024**3
"""The largest data file read (2 GiB): a larger file, or one that keeps growing while it is read,
is refused instead of filling memory. The CSV reader's own field limit is raised to this, so
that a long cell is refused as a cell (see `MAX_CELL_LENGTH`), not as a broken file."""

MAX_SETTINGS_BYTES: Final = 1024**2
"""The largest settings file (``advocacy.toml``) read: 1 MiB."""

MAX_MESSAGE_LENGTH: Final = 2_000
"""The longest a rejection, a load error or a note may be: every value, name and id quoted in one
is shortened (see `advocacy_kpis.errors.shorten`), so one huge cell cannot flood a report."""
