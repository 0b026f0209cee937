"""Names beside ids in KPI tables: agents, channels and organizations as people read them.

The names are the ones the bot remembered when Slack gave them (store/names.py); an id
never named shows as itself. A table keeps the id as a column of its own (`agent_id`,
`org_id` ...), which text and Slack renderings hide and CSV and JSON keep.
"""

from collections.abc import Iterable
from typing import Any

from sqlmodel import Session

from store import names

KINDS = {"agent": names.USER, "channel": names.CHANNEL, "org": names.ORG}
ID_SUFFIX = "_id"


def named(dimension: str) -> bool:
    """Whether a dimension's values are Slack ids that have names."""
    return dimension in KINDS


def lookup(session: Session, dimension: str, keys: Iterable[Any]) -> dict[str, str]:
    """id -> remembered name for a dimension's keys (empty for unnamed dimensions)."""
    if dimension not in KINDS:
        return {}
    return names.known_names(
        session, kind=KINDS[dimension], slack_ids=[str(k) for k in keys if k is not None]
    )


def label(found: dict[str, str], key: Any) -> Any:
    """The name for a key, else the key itself."""
    return key if key is None else found.get(str(key), key)
