"""What the ising commands share: the temperature list syntax, the progress bar, and how a value
with its error is printed."""

from __future__ import annotations

import math

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

__all__ = ["parse_temperatures", "sweep_progress", "fmt_stat"]


def parse_temperatures(spec: str) -> list[float]:
    """'START:STOP:COUNT' (inclusive, evenly spaced) or a comma-separated list."""
    try:
        if ":" in spec:
            start, stop, count = spec.split(":")
            count = int(count)
            if count < 1:
                raise ValueError
            step = (float(stop) - float(start)) / max(1, count - 1)
            values = [float(start) + i * step for i in range(count)]
        else:
            values = [float(v) for v in spec.split(",")]
    except ValueError:
        raise ValueError(f"--temperatures must be START:STOP:COUNT or a list like 1.5,2.0, "
                         f"not {spec!r}") from None
    if not all(math.isfinite(t) and t > 0 for t in values):
        raise ValueError("temperatures must be positive")
    return values


def sweep_progress(console):
    """A progress bar of sweeps (transient: gone when the work is done)."""
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeRemainingColumn(), console=console, transient=True)


def fmt_stat(stat) -> str:
    """``mean ± stderr`` of a {mean, stderr} dict (\"undefined\" for a null mean)."""
    if stat["mean"] is None:
        return "undefined"
    return f"{stat['mean']:.5f} ± {stat['stderr']:.5f}"
