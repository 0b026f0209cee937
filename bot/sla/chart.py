"""A chart of `deskbot sla whatif`: breaches per day due, current beside proposed (PNG)."""

from datetime import date
from pathlib import Path

from bot.sla.whatif import TARGETS, Comparison

LABELS = {
    "first_response": "First response",
    "next_response": "Next response",
    "resolution": "Resolution",
}


def write_whatif_chart(result: Comparison, path: Path, *, title: str) -> None:
    """One panel per target: bars of breaches per day, current and proposed side by side."""
    import matplotlib

    matplotlib.use("Agg")  # headless: no display, no GUI toolkit
    import matplotlib.pyplot as plt

    days = sorted({day for side in result.by_day.values() for day, _ in side})
    figure, axes = plt.subplots(
        len(TARGETS), 1, figsize=(max(6.0, 0.45 * len(days) + 2), 7), sharex=True
    )
    positions = list(range(len(days)))
    for axis, target in zip(axes, TARGETS, strict=True):
        for offset, side, color in ((-0.2, "current", "#8c8c8c"), (0.2, "proposed", "#d9534f")):
            counts = [_breached(result, side, day, target) for day in days]
            axis.bar([p + offset for p in positions], counts, width=0.4, label=side, color=color)
        axis.set_ylabel(LABELS[target])
        axis.yaxis.get_major_locator().set_params(integer=True)
    axes[0].set_title(title)
    axes[0].legend(loc="upper right")
    axes[-1].set_xticks(positions, [f"{day:%d %b}" for day in days], rotation=60, fontsize=8)
    figure.supylabel("breaches (by day due)")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def _breached(result: Comparison, side: str, day: date, target: str) -> int:
    tally = result.by_day.get(side, {}).get((day, target))
    return tally.breached if tally is not None else 0
