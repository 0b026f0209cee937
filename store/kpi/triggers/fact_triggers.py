"""The triggers that keep `ticket_fact` and `kpi_hour` current, for SQLite and PostgreSQL.

`install(connection)` (re)creates them; `drop(connection)` removes them (bulk loads drop
them, load, then call `facts.backfill` and `install`). A migration that rebuilds one of
the watched tables on SQLite (batch mode copies the table) must call `install` again.
"""

from sqlalchemy.engine import Connection

from store.kpi.triggers import csat_rollup, group_rollup, sla_rollup
from store.kpi.triggers.facts import (
    FACT_ACTIONS,
    TICKET_COLUMNS,
    RollupMove,
    merged_moment,
    message_counted,
    message_kind,
    refresh_parts,
    refresh_sql,
)
from store.kpi.triggers.rollup import hour_of, pending, tag_row_sql

CHILDREN = ("activity", "ticket_pause", "suggestion")
MESSAGE_COLUMNS = "ticket_id, role, deleted_at, sent_at"
TABLES = ("ticket", "message", "ticket_tag", *CHILDREN)
_ACTIONS = ", ".join(f"'{action}'" for action in FACT_ACTIONS)


def _when(table: str, row: str) -> str:
    return f"{row}.action IN ({_ACTIONS})" if table == "activity" else "1 = 1"


def install(connection: Connection) -> None:
    """Create (or replace) every fact trigger."""
    drop(connection)
    statements = (
        _postgresql(connection) if connection.dialect.name == "postgresql" else _sqlite(connection)
    )
    for statement in statements:
        connection.exec_driver_sql(statement)
    sla_rollup.install(connection)
    csat_rollup.install(connection)
    group_rollup.install(connection)


def drop(connection: Connection) -> None:
    """Remove every fact trigger (the tables stay)."""
    sla_rollup.drop(connection)
    csat_rollup.drop(connection)
    group_rollup.drop(connection)
    if connection.dialect.name == "postgresql":
        for table in TABLES:
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS kpi_facts ON {table}")
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS kpi_facts_insert ON {table}")
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS kpi_facts_delete ON {table}")
        return
    for table in TABLES:
        for event in ("insert", "update", "delete"):
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS kpi_{table}_{event}")


def _sqlite_hour(moment: str, kind: str, delta: int, when: str) -> str:
    return (
        f"INSERT INTO kpi_hour (hour, kind, n) SELECT {hour_of('sqlite', moment)}, {kind}, "
        f"{delta} WHERE {when} ON CONFLICT (hour, kind) DO UPDATE SET n = n + excluded.n"
    )


def _trigger(name: str, event: str, table: str, body: list[str], when: str = "") -> str:
    condition = f" WHEN {when}" if when else ""
    inner = "".join(f"  {statement};\n" for statement in body)
    return (
        f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW{condition} BEGIN\n{inner}END"
    )


def _sqlite(connection: Connection) -> list[str]:
    def refresh(ticket_id: str, when: str = "1 = 1") -> list[str]:
        return refresh_sql(connection, ticket_id, when)

    def hour(row: str, column: str, delta: int, when: str) -> str:
        if column == "merged":
            moment, kind = merged_moment(row), "'merged'"
        else:
            moment = f"{row}.{column}"
            kind = "'created'" if column == "created_at" else "'resolved'"
        return _sqlite_hour(moment, kind, delta, f"{moment} IS NOT NULL AND {when}")

    def message_hours(row: str, delta: int) -> str:
        return _sqlite_hour(f"{row}.sent_at", message_kind(row), delta, message_counted(row))

    moved = "OLD.ticket_id IS NOT NEW.ticket_id"
    changed = {
        column: f"OLD.{column} IS NOT NEW.{column}" for column in ("created_at", "resolved_at")
    }
    changed["merged"] = f"{merged_moment('OLD')} IS NOT {merged_moment('NEW')}"
    ticket_update = [
        hour(row, column, delta, changed[column])
        for column in changed
        for row, delta in (("OLD", -1), ("NEW", 1))
    ]
    statements = [
        _trigger(
            "kpi_ticket_insert",
            "INSERT",
            "ticket",
            [
                *refresh("NEW.id"),
                hour("NEW", "created_at", 1, "1 = 1"),
                hour("NEW", "resolved_at", 1, "1 = 1"),
                hour("NEW", "merged", 1, "1 = 1"),
            ],
        ),
        _trigger(
            "kpi_ticket_update",
            f"UPDATE OF {', '.join(TICKET_COLUMNS)}",
            "ticket",
            [*refresh("NEW.id"), *ticket_update],
        ),
        _trigger(
            "kpi_ticket_delete",
            "DELETE",
            "ticket",
            [
                *refresh("OLD.id"),
                hour("OLD", "created_at", -1, "1 = 1"),
                hour("OLD", "resolved_at", -1, "1 = 1"),
                hour("OLD", "merged", -1, "1 = 1"),
            ],
        ),
        _trigger(
            "kpi_message_insert",
            "INSERT",
            "message",
            [message_hours("NEW", 1), *refresh("NEW.ticket_id")],
        ),
        _trigger(
            "kpi_message_update",
            f"UPDATE OF {MESSAGE_COLUMNS}",
            "message",
            [
                message_hours("OLD", -1),
                message_hours("NEW", 1),
                *refresh("OLD.ticket_id", moved),
                *refresh("NEW.ticket_id"),
            ],
        ),
        _trigger(
            "kpi_message_delete",
            "DELETE",
            "message",
            [message_hours("OLD", -1), *refresh("OLD.ticket_id")],
        ),
    ]  # fmt: skip
    for table in CHILDREN:
        both = [*refresh("OLD.ticket_id", moved), *refresh("NEW.ticket_id")]
        name = f"kpi_{table}"
        statements += [
            _trigger(
                f"{name}_insert", "INSERT", table, refresh("NEW.ticket_id"), _when(table, "NEW")
            ),
            _trigger(f"{name}_update", "UPDATE", table, both),
            _trigger(
                f"{name}_delete", "DELETE", table, refresh("OLD.ticket_id"), _when(table, "OLD")
            ),
        ]
    old_tag = [tag_row_sql("sqlite", "OLD", -1), group_rollup.tag_row_sql("sqlite", "OLD", -1)]
    new_tag = [tag_row_sql("sqlite", "NEW", 1), group_rollup.tag_row_sql("sqlite", "NEW", 1)]
    statements += [
        _trigger("kpi_ticket_tag_insert", "INSERT", "ticket_tag", new_tag),
        _trigger("kpi_ticket_tag_update", "UPDATE", "ticket_tag", [*old_tag, *new_tag]),
        _trigger("kpi_ticket_tag_delete", "DELETE", "ticket_tag", old_tag),
    ]
    return statements


# FOR NO KEY UPDATE conflicts with itself and with ticket updates, not with the FOR KEY
# SHARE that inserting a message or activity takes on its ticket.
_TICKET_LOCK = """CREATE OR REPLACE FUNCTION kpi_lock_ticket(tid integer) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM ticket WHERE id = tid FOR NO KEY UPDATE;
END $$"""


def _postgresql(connection: Connection) -> list[str]:
    moves, select_sql = refresh_parts(connection, "tid")

    def moved(move: RollupMove) -> str:
        columns = ", ".join(move.inputs)
        before = ", ".join(f"was.{column}" for column in move.inputs)
        after = ", ".join(f"now_is.{column}" for column in move.inputs)
        return f"NOT (had AND has) OR ROW({before}) IS DISTINCT FROM ROW({after})  -- {columns}"

    take_out = "\n    ".join(
        f"IF {moved(move)}\n    THEN {pending(move.sql(-1))}; END IF;" for move in moves
    )
    put = "\n    ".join(
        f"IF {moved(move)}\n    THEN {pending(move.sql(1))}; END IF;" for move in moves
    )
    columns = ", ".join(TICKET_COLUMNS)
    counted_old, counted_new = message_counted("OLD"), message_counted("NEW")
    statements = [
        _TICKET_LOCK,
        f"""CREATE OR REPLACE FUNCTION kpi_fact_refresh(tid integer, held boolean DEFAULT false)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  was ticket_fact;
  now_is ticket_fact;
  had boolean;
  has boolean;
BEGIN
  IF tid IS NULL THEN RETURN; END IF;
  -- One transaction at a time per ticket (the ticket row's lock: nothing in the shared
  -- lock table); the statements below then see the other's committed rows. A trigger
  -- on ticket itself fires with the row already locked (updated, inserted or deleted).
  IF NOT held THEN PERFORM kpi_lock_ticket(tid); END IF;
  SELECT * INTO was FROM ticket_fact WHERE ticket_id = tid;
  had := FOUND;
  SELECT * INTO now_is FROM ({select_sql}) n;
  has := FOUND;
  -- Most writes (a customer's message, an edit) change no KPI input: nothing to move.
  IF had = has AND (NOT had OR was IS NOT DISTINCT FROM now_is) THEN RETURN; END IF;
  -- Each rollup moves only when a column it reads changed (an agent's reply moves the
  -- reply count, not the groups).
  IF had THEN
    {take_out}
    DELETE FROM ticket_fact WHERE ticket_id = tid;
  END IF;
  IF has THEN
    INSERT INTO ticket_fact SELECT (now_is).*;
    {put}
  END IF;
END $$""",
        f"""CREATE OR REPLACE FUNCTION kpi_hour_add(at timestamp, what text, delta integer)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF at IS NULL OR what IS NULL THEN RETURN; END IF;
  INSERT INTO kpi_hour_pending (hour, kind, n)
  VALUES ({hour_of("postgresql", "at")}, what, delta);
END $$""",
        f"""CREATE OR REPLACE FUNCTION kpi_on_ticket() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM kpi_fact_refresh(OLD.id, true);  -- the ticket is gone: its fact row goes
    PERFORM kpi_hour_add(OLD.created_at, 'created', -1);
    PERFORM kpi_hour_add(OLD.resolved_at, 'resolved', -1);
    PERFORM kpi_hour_add({merged_moment("OLD")}, 'merged', -1);
    RETURN NULL;
  END IF;
  PERFORM kpi_fact_refresh(NEW.id, true);
  IF TG_OP = 'INSERT' THEN
    PERFORM kpi_hour_add(NEW.created_at, 'created', 1);
    PERFORM kpi_hour_add(NEW.resolved_at, 'resolved', 1);
    PERFORM kpi_hour_add({merged_moment("NEW")}, 'merged', 1);
    RETURN NULL;
  END IF;
  IF {merged_moment("OLD")} IS DISTINCT FROM {merged_moment("NEW")} THEN
    PERFORM kpi_hour_add({merged_moment("OLD")}, 'merged', -1);
    PERFORM kpi_hour_add({merged_moment("NEW")}, 'merged', 1);
  END IF;
  IF OLD.created_at IS DISTINCT FROM NEW.created_at THEN
    PERFORM kpi_hour_add(OLD.created_at, 'created', -1);
    PERFORM kpi_hour_add(NEW.created_at, 'created', 1);
  END IF;
  IF OLD.resolved_at IS DISTINCT FROM NEW.resolved_at THEN
    PERFORM kpi_hour_add(OLD.resolved_at, 'resolved', -1);
    PERFORM kpi_hour_add(NEW.resolved_at, 'resolved', 1);
  END IF;
  RETURN NULL;
END $$""",
        f"""CREATE OR REPLACE FUNCTION kpi_on_message() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    IF {counted_old} THEN
      PERFORM kpi_hour_add(OLD.sent_at, {message_kind("OLD")}, -1);
    END IF;
    IF TG_OP = 'DELETE' OR OLD.ticket_id IS DISTINCT FROM NEW.ticket_id THEN
      PERFORM kpi_fact_refresh(OLD.ticket_id);
    END IF;
  END IF;
  IF TG_OP <> 'DELETE' THEN
    IF {counted_new} THEN
      PERFORM kpi_hour_add(NEW.sent_at, {message_kind("NEW")}, 1);
    END IF;
    PERFORM kpi_fact_refresh(NEW.ticket_id);
  END IF;
  RETURN NULL;
END $$""",
        """CREATE OR REPLACE FUNCTION kpi_on_child() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.ticket_id IS DISTINCT FROM NEW.ticket_id) THEN
    PERFORM kpi_fact_refresh(OLD.ticket_id);
  END IF;
  IF TG_OP <> 'DELETE' THEN
    PERFORM kpi_fact_refresh(NEW.ticket_id);
  END IF;
  RETURN NULL;
END $$""",
        f"""CREATE OR REPLACE FUNCTION kpi_on_tag() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    PERFORM kpi_lock_ticket(OLD.ticket_id);  -- a racing refresh may move its tags' day
    {pending(tag_row_sql("postgresql", "OLD", -1))};
    {pending(group_rollup.tag_row_sql("postgresql", "OLD", -1))};
  END IF;
  IF TG_OP <> 'DELETE' THEN
    PERFORM kpi_lock_ticket(NEW.ticket_id);
    {pending(tag_row_sql("postgresql", "NEW", 1))};
    {pending(group_rollup.tag_row_sql("postgresql", "NEW", 1))};
  END IF;
  RETURN NULL;
END $$""",
        "CREATE TRIGGER kpi_facts AFTER INSERT OR DELETE OR UPDATE ON ticket_tag "
        "FOR EACH ROW EXECUTE FUNCTION kpi_on_tag()",
        "CREATE TRIGGER kpi_facts AFTER INSERT OR DELETE OR UPDATE OF "
        f"{columns} ON ticket FOR EACH ROW EXECUTE FUNCTION kpi_on_ticket()",
        "CREATE TRIGGER kpi_facts AFTER INSERT OR DELETE OR UPDATE OF "
        f"{MESSAGE_COLUMNS} ON message FOR EACH ROW EXECUTE FUNCTION kpi_on_message()",
    ]
    for table in CHILDREN:
        statements += [
            f"CREATE TRIGGER kpi_facts_insert AFTER INSERT ON {table} FOR EACH ROW "
            f"WHEN ({_when(table, 'NEW')}) EXECUTE FUNCTION kpi_on_child()",
            f"CREATE TRIGGER kpi_facts AFTER UPDATE ON {table} FOR EACH ROW "
            "EXECUTE FUNCTION kpi_on_child()",
            f"CREATE TRIGGER kpi_facts_delete AFTER DELETE ON {table} FOR EACH ROW "
            f"WHEN ({_when(table, 'OLD')}) EXECUTE FUNCTION kpi_on_child()",
        ]
    return statements
