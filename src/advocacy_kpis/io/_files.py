"""Opening the files of a data folder: regular files only, and never more bytes than a bound.

A FIFO would block a load until something writes to it, a device such as ``/dev/zero`` never
ends, and a socket cannot be read as a file: each is refused by what it is, before a byte is
read. A regular file larger than the bound, or one that keeps growing while it is read, is
refused at the bound instead of filling memory.
"""

from __future__ import annotations

import io
import os
import stat
from pathlib import Path
from typing import BinaryIO

from advocacy_kpis.errors import SourceError, shorten

_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISDIR, "a folder"),
)


def file_kind(mode: int) -> str:
    """What a file of this mode is, in words (``"a regular file"``, ``"a FIFO (named pipe)"``...)."""
    if stat.S_ISREG(mode):
        return "a regular file"
    return next((words for test, words in _KINDS if test(mode)), "not a regular file")


def display_name(path: Path) -> str:
    """A file's name as messages show it: shortened, with control characters escaped."""
    name = path.name
    return name if name.isprintable() and len(name) <= 120 else shorten(name)


def check_regular(path: Path) -> None:
    """Refuse ``path`` unless it is (or links to) a regular file.

    Raises:
        SourceError: it is a FIFO, a device, a socket or a folder, or cannot be examined.
    """
    try:
        mode = path.stat().st_mode
    except OSError as error:
        raise SourceError(f"{display_name(path)}: cannot be read ({error.strerror or error}).") from None
    if not stat.S_ISREG(mode):
        raise SourceError(
            f"{display_name(path)}: is {file_kind(mode)}, not a regular file; only regular files are read."
        )


class _Bounded(io.RawIOBase):
    """A raw reader that refuses to give more than ``limit`` bytes: a file growing while it is read."""

    def __init__(self, raw: io.FileIO, name: str, limit: int) -> None:
        super().__init__()
        self._raw = raw
        self._name = name
        self._limit = limit
        self._left = limit

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        count = self._raw.readinto(buffer) or 0
        self._left -= count
        if self._left < 0:
            raise SourceError(
                f"{self._name}: holds more than the {_size(self._limit)} a file may hold (it grew while being read)."
            )
        return count

    def close(self) -> None:
        self._raw.close()
        super().close()


def _size(count: int) -> str:
    return f"{count / 1024**3:g} GiB" if count >= 1024**3 else f"{count:,} bytes"


def open_regular(path: Path, limit: int, *, bounded: bool = True) -> BinaryIO:
    """``path`` opened for reading in binary, when it is a regular file of at most ``limit`` bytes.

    The file is opened without blocking (a FIFO would otherwise wait for a writer) and examined
    through the open descriptor, so what is read is what was checked. With ``bounded``, reading
    more than ``limit`` bytes raises `SourceError`; without it the caller gets the plain,
    seekable file (a Parquet reader needs one) and only its size at opening is checked.

    Raises:
        SourceError: not a regular file, larger than ``limit``, or unreadable.
    """
    name = display_name(path)
    check_regular(path)
    flags = (
        os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
    )
    try:
        descriptor = os.open(path, flags)
    except OSError as error:
        raise SourceError(f"{name}: cannot be read ({error.strerror or error}).") from None
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):  # replaced since it was examined
            raise SourceError(
                f"{name}: is {file_kind(info.st_mode)}, not a regular file; only regular files are read."
            )
        if info.st_size > limit:
            raise SourceError(
                f"{name}: {info.st_size:,} bytes, more than the {_size(limit)} a file may hold."
            )
        if hasattr(os, "O_NONBLOCK"):
            os.set_blocking(descriptor, True)
        raw = io.FileIO(descriptor, "rb", closefd=True)
    except BaseException:
        os.close(descriptor)
        raise
    if not bounded:
        return raw
    return io.BufferedReader(_Bounded(raw, name, limit), buffer_size=1 << 20)


def read_bytes(path: Path, limit: int) -> bytes:
    """The whole content of a regular file of at most ``limit`` bytes (see `open_regular`)."""
    with open_regular(path, limit) as handle:
        try:
            return handle.read()
        except OSError as error:
            raise SourceError(f"{display_name(path)}: cannot be read ({error.strerror or error}).") from None
