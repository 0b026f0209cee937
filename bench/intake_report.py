"""The intake benchmark's measurements and tables: a row per server, and where the CPU went."""

import os
import re
from dataclasses import dataclass
from pathlib import Path

RAISED = re.compile(r"^[\w.]+(Error|Exception|Lost): ")  # a traceback's last line


@dataclass
class Result:
    """One row of the table."""

    target: str
    database: str
    events: int
    acked_per_s: float
    processed_per_s: float | None
    p50_ms: float
    p99_ms: float
    cpu_ms_per_event: float
    # CPU per event spent elsewhere on the machine: "bench driver", "fake Slack", "database"
    other_cpu_ms: dict[str, float]
    server_log: str  # what the server printed (WARNING and above)


def cpu_seconds(pid: int, *, reaped: bool = False) -> float:
    """CPU time (user + system) a process has used so far, from /proc; with `reaped`, that
    of its exited children too."""
    fields = _stat_fields(pid)
    ticks = int(fields[11]) + int(fields[12])
    if reaped:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / os.sysconf("SC_CLK_TCK")


def database_server_cpu_seconds() -> float:
    """CPU time of the PostgreSQL server so far, its exited backends' included."""
    total = 0.0
    for pid in (int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit()):
        try:
            if _process_name(pid) != "postgres":
                continue
            # the postmaster (a parent that is not postgres) holds its reaped backends' time
            postmaster = _process_name(int(_stat_fields(pid)[1])) != "postgres"
            total += cpu_seconds(pid, reaped=postmaster)
        except OSError:  # exited while we looked
            continue
    return total


def _stat_fields(pid: int) -> list[str]:
    """/proc/PID/stat after the command name: state, ppid, ... utime (11), stime (12)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def _process_name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def percentile(values: list[float], fraction: float) -> float:
    """The value below which `fraction` of the sorted values fall."""
    ordered = sorted(values)
    return ordered[min(int(len(ordered) * fraction), len(ordered) - 1)]


def print_table(results: list[Result], baseline: Result) -> None:
    """The benchmark table, with each row against the bare app."""
    print()
    columns = ["target", "database", "events", "acked/s", "stored/s (sustained)", "vs bare"]
    print("| " + " | ".join([*columns, "ack p50 ms", "ack p99 ms", "server CPU ms/event"]) + " |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for row in results:
        sustained = row.processed_per_s or row.acked_per_s
        print(
            f"| {row.target} | {row.database} | {row.events} | {row.acked_per_s:.0f} | "
            f"{'' if row.processed_per_s is None else f'{row.processed_per_s:.0f}'} | "
            f"{sustained / baseline.acked_per_s:.0%} | {row.p50_ms:.1f} | {row.p99_ms:.1f} | "
            f"{row.cpu_ms_per_event:.2f} |"
        )
    print_cpu_budget(results, baseline)
    for row in results:
        print_server_errors(row)
    print()
    for row in results[1:]:
        sustained = row.processed_per_s or 0
        print(
            f"{row.database}: ack p99 {row.p99_ms:.1f} ms (target < 100: "
            f"{'met' if row.p99_ms < 100 else 'MISSED'}); throughput "
            f"{sustained / baseline.acked_per_s:.0%} of bare (target >= 50%: "
            f"{'met' if sustained >= baseline.acked_per_s / 2 else 'MISSED'})"
        )


def print_server_errors(row: Result) -> None:
    """How many errors the server logged, the first of them and the exception it raised."""
    lines = row.server_log.splitlines()
    problems = [line for line in lines if " ERROR " in line]
    if not problems:
        return
    print(f"\n{row.target} on {row.database} logged {len(problems)} errors, first:")
    print(f"  {problems[0][:300]}")
    raised = next((line for line in lines if RAISED.match(line)), None)
    if raised:
        print(f"  {raised[:300]}")


def print_cpu_budget(results: list[Result], baseline: Result) -> None:
    """Where the machine's CPU went per event, and the rate that CPU allows at most."""
    cores = os.cpu_count() or 1
    parts = ["bench driver", "fake Slack", "database"]
    print()
    print(f"CPU per event across the whole machine ({cores} CPUs), ms:")
    print()
    print("| target | database | server | " + " | ".join(parts) + " | total | at most /s |")
    print("|---|---|---:|" + "---:|" * len(parts) + "---:|---:|")
    for row in results:
        total = row.cpu_ms_per_event + sum(row.other_cpu_ms.values())
        print(
            f"| {row.target} | {row.database} | {row.cpu_ms_per_event:.2f} | "
            + " | ".join(f"{row.other_cpu_ms[name]:.2f}" for name in parts)
            + f" | {total:.2f} | {cores * 1000 / total:.0f} |"
        )
    budget = cores * 1000 / (baseline.acked_per_s / 2)
    print()
    print(
        f"Half the bare app's rate ({baseline.acked_per_s / 2:.0f}/s) leaves {budget:.2f} ms "
        f"of the machine's CPU per event, the bench driver's "
        f"{results[0].other_cpu_ms['bench driver']:.2f} ms included."
    )
