"""The erasure log: who erased whose text, when, and how much (never the text itself)."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from store.types import utc_field


class ErasureLog(SQLModel, table=True):
    """One erasure (`deskbot erase`) or retention run: the audit trail of redactions."""

    __tablename__ = "erasure_log"

    id: int | None = Field(default=None, primary_key=True)
    subject_kind: str = Field(max_length=16)  # customer | org | retention
    subject_id: str = Field(max_length=64)  # U…, T…, or the retention cutoff (ISO time)
    operator: str = Field(max_length=255)  # --by, or the OS user; "deskbot" for retention
    erased_at: datetime = utc_field(index=True)
    counts: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
