"""What the Ising core's parts cost on ECP5 after Yosys alone (no place and route, minutes
instead of the half hour of a build): each part's cells and their LUT equivalents per lane.

    python -m bitspin.boards.component_cost --size 64 --lanes 128 --precision 16 --rng wheel

The figures are Yosys's ``synth_ecp5`` cell counts of each component synthesised on its own with
the same replica-keeping script as the board builds. A LUT equivalent counts a LUT4 as 1, a
CCU2C (two LUT4s and their carry) as 2, and a TRELLIS_DPR16X4 (a 16×4 distributed RAM) as 8:
what nextpnr counted per DPR16X4 in the L = 256, P = 256 wheel build (run 17 in
docs/design_space.md: 39 849 LUT against 19 823 LUT4 + 2 × 4 816 CCU2C, for 1 280 DPR16X4).
Place and route adds what a real build shows beyond these (routing-driven duplication, packing).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from amaranth.back import rtlil

from bitspin.hw import toolchain
from bitspin.hw.ising.params import (DEFAULT_K, IsingParams, LANE_RNGS, LANE_RULES,
                                     rule_algorithms)
from bitspin.hw.replica import KEEP_REPLICAS_SCRIPT, group_count

__all__ = ["LUT_EQUIVALENTS", "component_cells", "parts_cells", "ising_parts", "main"]

LUT_EQUIVALENTS = {"LUT4": 1, "CCU2C": 2, "TRELLIS_DPR16X4": 8}
CELLS = ("LUT4", "CCU2C", "TRELLIS_DPR16X4", "PFUMX", "L6MUX21", "TRELLIS_FF", "DP16KD",
         "MULT18X18D")


class _Ecp5Family:
    """What the core's components ask of a platform: its family, for their ECP5 cells."""
    family = "ecp5"


_ECP5_FAMILY = _Ecp5Family()


def component_cells(component, work_dir: Path) -> dict:
    """Synthesise ``component`` (an elaboratable) for ECP5 with Yosys; return its cell counts
    (``CELLS``) and ``lut_equivalents``."""
    yosys = toolchain.require("yosys").path
    (work_dir / "part.il").write_text(rtlil.convert(component, name="top",
                                                    platform=_ECP5_FAMILY))
    script = (f"read_rtlil part.il; {KEEP_REPLICAS_SCRIPT.strip()}; synth_ecp5 -top top; "
              "tee -q -o part.stat stat")
    done = subprocess.run([yosys, "-q", "-p", script], cwd=work_dir, capture_output=True,
                          text=True, env=toolchain.toolchain_environment())
    if done.returncode != 0:
        raise RuntimeError(f"yosys failed (exit {done.returncode}):\n{done.stdout[-2000:]}"
                           f"{done.stderr[-2000:]}")
    text = (work_dir / "part.stat").read_text()
    cells = {}
    for cell in CELLS:
        found = re.search(rf"^\s*(\d+)\s+(?:[\d.]+\s+)?{cell}\s*$", text, re.M) or \
            re.search(rf"^\s*{cell}\s+(\d+)\s*$", text, re.M)
        cells[cell] = int(found.group(1)) if found else 0
    cells["lut_equivalents"] = sum(cells[c] * w for c, w in LUT_EQUIVALENTS.items())
    return cells


def parts_cells(parts: dict, per: str) -> dict:
    """Each part's cells (``component_cells``), synthesised one after another, by name, with
    its LUT equivalents per unit under ``per``: ``parts`` maps name → (component, units)."""
    rows = {}
    for name, (part, units) in parts.items():
        print(f"synthesising {name} ...", file=sys.stderr, flush=True)
        with tempfile.TemporaryDirectory() as work:
            cells = component_cells(part, Path(work))
        cells[per] = round(cells["lut_equivalents"] / units, 2)
        rows[name] = cells
    return rows


def ising_parts(params: IsingParams) -> dict:
    """The core and its per-lane parts, by name (what ``main`` synthesises)."""
    from bitspin.hw.ising.core import IsingCore
    from bitspin.hw.ising.lane_array import LaneArray
    from bitspin.hw.ising.sweep_counts import SweepCounts
    from bitspin.hw.ising.timing import LANES_PER_COPY
    from bitspin.hw.ising.wheel_rng import WheelRngBank
    from bitspin.hw.ising.write_back import WriteBack
    parts = {"core": IsingCore(params, threshold_table="lutram"),
             "lanes (stages A, T, B; per-lane tables)": LaneArray(params, "lutram"),
             "write-back (stages C, D)": WriteBack(params),
             "counts": SweepCounts(params)}
    if params.rng == "wheel":
        parts["wheels"] = WheelRngBank(params.lanes, params.k,
                                       group_count(params.lanes, LANES_PER_COPY))
    return parts


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bitspin.boards.component_cost",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=64, help="L (default 64)")
    parser.add_argument("--lanes", type=int, default=128, help="P (default 128)")
    parser.add_argument("--precision", type=int, default=DEFAULT_K, help="k")
    parser.add_argument("--rng", choices=LANE_RNGS, default="wheel")
    parser.add_argument("--lane-rule", choices=LANE_RULES, default=LANE_RULES[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    try:
        params = IsingParams(args.size, args.lanes, k=args.precision, rng=args.rng,
                             lane_rule=args.lane_rule,
                             algorithms=rule_algorithms(args.lane_rule))
    except ValueError as error:
        parser.error(str(error))
    rows = parts_cells({name: (part, params.lanes)
                        for name, part in ising_parts(params).items()}, "per_lane")
    if args.json:
        print(json.dumps({"params": params.as_dict(), "parts": rows}, indent=2))
    else:
        print(f"{'part':42} {'LUT4':>7} {'CCU2C':>6} {'DPR16X4':>8} {'FF':>7} "
              f"{'LUT eq.':>8} {'per lane':>8}")
        for name, c in rows.items():
            print(f"{name:42} {c['LUT4']:7} {c['CCU2C']:6} {c['TRELLIS_DPR16X4']:8} "
                  f"{c['TRELLIS_FF']:7} {c['lut_equivalents']:8} {c['per_lane']:8}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
