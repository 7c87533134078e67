"""What the GAN engine's per-image datapath costs on ECP5 after Yosys alone: the binary lanes
(XNOR-popcount and accumulators) and the integer lane, with the hand-mapped trees and with
Yosys's own mapping of the same logic, in LUT equivalents per input bit.

    python -m bitspin.boards.gan_component_cost --lanes 16 --chunk-bits 64

The cell counts are Yosys's ``synth_ecp5`` of each component on its own (see
``bitspin.boards.component_cost``: a CCU2C counts as two LUT4). A batch of K images has K such
datapaths beside one set of memories and one sequencer.
"""

from __future__ import annotations

import argparse
import json
import sys

from bitspin.boards.component_cost import parts_cells
from bitspin.hw.gan.architecture import GanConfig
from bitspin.hw.gan.integer_lane import IntegerLane
from bitspin.hw.gan.plan import EngineParams, plan_engine
from bitspin.hw.gan.xnor_popcount import XnorPopcountArray

__all__ = ["gan_parts", "main"]


def gan_parts(params: EngineParams, config: GanConfig = GanConfig()) -> dict:
    """name → (component, input bits per clock) for both mappings of both datapaths."""
    plan = plan_engine(config, params)
    lanes, chunk = params.lanes, params.chunk_bits
    parts = {}
    for hand in (True, False):
        mapping = "hand-mapped" if hand else "Yosys"
        parts[f"binary lanes ({mapping})"] = (
            XnorPopcountArray(lanes, chunk, plan.accumulator_bits, plan.label_bits,
                              hand_mapped=hand), lanes * chunk)
        parts[f"integer lane ({mapping})"] = (
            IntegerLane(chunk, config.last_weight_bits, plan.last_accumulator_bits,
                        hand_mapped=hand), chunk)
    return parts


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bitspin.boards.gan_component_cost",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--lanes", type=int, default=16, help="M (default 16)")
    parser.add_argument("--chunk-bits", type=int, default=64, help="B (default 64)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    try:
        params = EngineParams(args.lanes, args.chunk_bits)
    except ValueError as error:
        parser.error(str(error))
    rows = parts_cells(gan_parts(params), "per_input_bit")
    if args.json:
        print(json.dumps({"lanes": params.lanes, "chunk_bits": params.chunk_bits,
                          "parts": rows}, indent=2))
    else:
        print(f"{'part':30} {'LUT4':>7} {'CCU2C':>6} {'FF':>6} {'LUT eq.':>8} {'per bit':>8}")
        for name, c in rows.items():
            print(f"{name:30} {c['LUT4']:7} {c['CCU2C']:6} {c['TRELLIS_FF']:6} "
                  f"{c['lut_equivalents']:8} {c['per_input_bit']:8}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
