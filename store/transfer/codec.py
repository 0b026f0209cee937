"""The export file: gzip'd JSON lines, one typed value per column, a checksum per table.

Layout, one JSON document per line:

    {"format": "deskbot-export", "version": 1, "revision": "0022", "tables": [...]}
    {"table": "ticket", "columns": [["id", "int"], ["subject", "str"], ...]}
    [1, "Printer on fire", ...]                 one array per row, in primary-key order
    {"end": "ticket", "rows": 1, "sha256": "..."}   over the row lines' bytes
    ...
    {"end_of_export": true}

Values are written by the column's kind, so they come back exactly: datetimes as ISO 8601
with their offset, dates as ISO dates, bytes as base64, decimals as strings, JSON columns
as JSON (keys sorted), floats in Python's shortest exact form. Nothing in the file depends
on when or from which kind of database it was written: exporting the same rows gives the
same bytes (the gzip header carries no name and no time).
"""

import base64
import gzip
import hashlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import JSON, Boolean, Column, Date, DateTime, Float, Integer, LargeBinary, Numeric

FORMAT = "deskbot-export"
VERSION = 1


class TransferError(Exception):
    """An export or import that cannot go on; the message says why, in one line."""


def column_kind(column: Column[Any]) -> str:
    """How a column's values are written: int, float, bool, str, datetime, date, json,
    bytes or decimal."""
    kind = column.type
    impl = getattr(kind, "impl_instance", None) or kind  # a TypeDecorator: its storage type
    checks: list[tuple[type, str]] = [
        (Boolean, "bool"),
        (JSON, "json"),
        (DateTime, "datetime"),
        (Date, "date"),
        (LargeBinary, "bytes"),
        (Float, "float"),  # before Numeric: Float is one
        (Numeric, "decimal"),
        (Integer, "int"),
    ]
    for base, name in checks:
        if isinstance(impl, base):
            return name
    return "str"


def encode(kind: str, value: Any) -> Any:
    """A column value as a JSON value that decodes back to exactly it."""
    if value is None:
        return None
    if kind in ("datetime", "date"):
        return value.isoformat()
    if kind == "bytes":
        return base64.b64encode(bytes(value)).decode("ascii")
    if kind == "decimal":
        return str(value)
    if kind == "float":
        return float(value)
    return value


def decode(kind: str, value: Any) -> Any:
    """The column value a JSON value was encoded from."""
    if value is None:
        return None
    if kind == "datetime":
        return datetime.fromisoformat(value)
    if kind == "date":
        return date.fromisoformat(value)
    if kind == "bytes":
        return base64.b64decode(value)
    if kind == "decimal":
        return Decimal(value)
    return value


def dumps(value: Any) -> bytes:
    """One canonical JSON line (without its newline)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


@dataclass
class TableSection:
    """One table as the file holds it: its columns, and the count and checksum of its rows."""

    name: str
    columns: list[tuple[str, str]]
    rows: int = 0
    sha256: str = ""


@dataclass
class Manifest:
    """What a file holds, checked line by line while reading it."""

    revision: str
    tables: dict[str, TableSection] = field(default_factory=dict)


class Checksum:
    """Count and hash row lines as they are written or read."""

    def __init__(self) -> None:
        self.rows = 0
        self._hash = hashlib.sha256()

    def add(self, line: bytes) -> None:
        """Count one row line (without its newline)."""
        self.rows += 1
        self._hash.update(line)
        self._hash.update(b"\n")

    @property
    def hexdigest(self) -> str:
        """The SHA-256 of the row lines so far."""
        return self._hash.hexdigest()


class Writer:
    """Writes an export file: a header, then each table's rows between its start and end."""

    def __init__(self, stream: BinaryIO, *, revision: str, tables: list[str]) -> None:
        self._gzip = gzip.GzipFile(fileobj=stream, mode="wb", mtime=0, filename="", compresslevel=6)
        self._out = io.BufferedWriter(self._gzip, buffer_size=1 << 20)  # type: ignore[arg-type]
        self._line({"format": FORMAT, "version": VERSION, "revision": revision, "tables": tables})
        self._current: Checksum | None = None
        self._kinds: list[str] = []

    def _line(self, value: Any) -> None:
        self._out.write(dumps(value) + b"\n")

    def start(self, name: str, columns: list[tuple[str, str]]) -> None:
        """Begin a table's section."""
        self._line({"table": name, "columns": [list(pair) for pair in columns]})
        self._current, self._kinds = Checksum(), [kind for _, kind in columns]

    def row(self, values: tuple[Any, ...] | list[Any]) -> None:
        """Write one row of the current table."""
        assert self._current is not None
        line = dumps([encode(k, v) for k, v in zip(self._kinds, values, strict=True)])
        self._current.add(line)
        self._out.write(line + b"\n")

    def end(self, name: str) -> Checksum:
        """End the current table's section with its row count and checksum."""
        assert self._current is not None
        done, self._current = self._current, None
        self._line({"end": name, "rows": done.rows, "sha256": done.hexdigest})
        return done

    def close(self) -> None:
        """Mark the end of the export and flush everything."""
        self._line({"end_of_export": True})
        self._out.flush()
        self._gzip.close()


def row_line(kinds: list[str], values: tuple[Any, ...] | list[Any]) -> bytes:
    """The file line of a row read from a database (for checking what was loaded)."""
    return dumps([encode(k, v) for k, v in zip(kinds, values, strict=True)])


Event = tuple[str, Any]  # ("table", TableSection) | ("row", list) | ("end", TableSection)


def read(path: Path) -> Iterator[Event]:
    """The header's revision, then the file's sections and decoded rows, checking every
    count and checksum on the way; TransferError at the first thing out of place."""
    try:
        with gzip.open(path, "rb") as stream:
            yield from _events(stream, path)
    except (OSError, EOFError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise TransferError(f"{path}: not a readable deskbot export ({error})") from None


def _events(stream: Any, path: Path) -> Iterator[Event]:
    header = json.loads(stream.readline() or b"null")
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise TransferError(f"{path}: not a deskbot export file")
    if header.get("version") != VERSION:
        raise TransferError(f"{path}: export format version {header.get('version')} (expected 1)")
    yield "revision", str(header.get("revision"))
    section: TableSection | None = None
    check = Checksum()
    decoders: list[str] = []
    for raw in stream:
        line = raw.rstrip(b"\n")
        if line.startswith(b"["):
            if section is None:
                raise TransferError(f"{path}: a row outside any table")
            check.add(line)
            values = json.loads(line)
            if len(values) != len(decoders):
                raise TransferError(f"{path}: table {section.name}: a row of the wrong width")
            yield "row", [decode(kind, value) for kind, value in zip(decoders, values, strict=True)]
            continue
        mark = json.loads(line)
        if "table" in mark and section is None:
            columns = [(str(name), str(kind)) for name, kind in mark["columns"]]
            section, check = TableSection(mark["table"], columns), Checksum()
            decoders = [kind for _, kind in columns]
            yield "table", section
        elif section is not None and mark.get("end") == section.name:
            if (check.rows, check.hexdigest) != (mark.get("rows"), mark.get("sha256")):
                raise TransferError(
                    f"{path}: table {section.name}: {check.rows} rows with checksum "
                    f"{check.hexdigest[:12]}…, but the file says {mark.get('rows')} rows, "
                    f"{str(mark.get('sha256'))[:12]}… (the file is damaged)"
                )
            section.rows, section.sha256 = check.rows, check.hexdigest
            yield "end", section
            section = None
        elif mark.get("end_of_export") is True and section is None:
            return
        else:
            raise TransferError(f"{path}: unexpected line {line[:60]!r}")
    raise TransferError(f"{path}: the file ends early (no end-of-export mark): it is truncated")
