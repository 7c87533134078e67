"""nextpnr's ``--report`` JSON, parsed into utilization, fmax per clock and timing closure."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["BuildReport", "parse_nextpnr_report", "RESOURCE_KINDS"]

# nextpnr's cell types, grouped into the resource kinds a designer compares across families.
RESOURCE_KINDS = {
    "ICESTORM_LC": "LUT", "TRELLIS_COMB": "LUT", "TRELLIS_SLICE": "SLICE",
    "TRELLIS_FF": "FF",
    "ICESTORM_RAM": "BRAM", "DP16KD": "BRAM",
    "ICESTORM_SPRAM": "SPRAM",
    "ICESTORM_DSP": "DSP", "MULT18X18D": "DSP",
    "SB_IO": "IO", "TRELLIS_IO": "IO",
}


@dataclass
class BuildReport:
    """What a place-and-route run achieved.

    ``utilization`` maps nextpnr's cell types to ``{"used", "available"}``; ``resources`` groups
    them into LUT/FF/BRAM/SPRAM/DSP/IO; ``fmax_mhz`` maps each clock net to
    ``{"achieved", "constraint"}`` in MHz.
    """
    utilization: dict[str, dict[str, int]]
    fmax_mhz: dict[str, dict[str, float]]
    resources: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def timing_met(self) -> bool:
        """True when every constrained clock reaches its constraint (and there is at least one)."""
        return bool(self.fmax_mhz) and all(
            clock["achieved"] >= clock["constraint"] for clock in self.fmax_mhz.values())

    def as_dict(self) -> dict:
        return {"utilization": self.utilization, "resources": self.resources,
                "fmax_mhz": self.fmax_mhz, "timing_met": self.timing_met}


def parse_nextpnr_report(path: Path) -> BuildReport:
    """Parse the file written by ``nextpnr-{ice40,ecp5} --report FILE``."""
    try:
        raw = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise ValueError(f"cannot read nextpnr report {path}: {error}") from None
    if "utilization" not in raw or "fmax" not in raw:
        raise ValueError(f"{path} is not a nextpnr report: it lacks 'utilization' or 'fmax'")
    utilization = {cell: {"used": int(v["used"]), "available": int(v["available"])}
                   for cell, v in raw["utilization"].items()}
    fmax = {clock: {"achieved": float(v["achieved"]), "constraint": float(v["constraint"])}
            for clock, v in raw["fmax"].items()}
    resources: dict[str, dict[str, int]] = {}
    for cell, counts in utilization.items():
        kind = RESOURCE_KINDS.get(cell)
        if kind:
            total = resources.setdefault(kind, {"used": 0, "available": 0})
            total["used"] += counts["used"]
            total["available"] += counts["available"]
    return BuildReport(utilization, fmax, resources)
