"""Persistence: SQLModel tables, engine and sessions, migrations, query functions."""
