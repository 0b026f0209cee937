"""Text hygiene shared by intake and rendering."""

import re

_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")
SUBJECT_LIMIT = 200


def storable(text: str) -> str:
    """Replace the only characters PostgreSQL text cannot hold (NUL, lone surrogates)."""
    return _UNSTORABLE.sub("\ufffd", text)


def subject_from(text: str, files: list[dict[str, object]] | None = None) -> str:
    """A one-line subject for a ticket: the first non-empty line, shortened."""
    for line in text.splitlines():
        line = line.strip()
        if line:
            return line if len(line) <= SUBJECT_LIMIT else line[: SUBJECT_LIMIT - 1] + "…"
    if files:
        names = ", ".join(str(file.get("name") or file.get("id") or "file") for file in files)
        return f"(file: {names})"[:SUBJECT_LIMIT]
    return "(no text)"
