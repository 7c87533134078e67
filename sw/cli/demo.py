"""``bitspin demo``: the main job on the embedded default, run end to end.

At this stage of the project the flow is: elaborate an Amaranth design (the UART loopback),
simulate it in Verilator through cocotb against the NumPy UART model, and build it for the
iCEBreaker and the ULX3S-85F. A JSON summary goes to ``--out``.
"""

from __future__ import annotations

import json
import random
import time
from pathlib import Path

from rich.console import Console


def add_parser(sub):
    parser = sub.add_parser("demo", help="run the main job end to end on the virtual flow")
    parser.add_argument("--out", type=Path, default=Path("out/demo"), help="report folder")
    parser.add_argument("--seed", type=int, default=2026, help="seed of the random test traffic")
    parser.add_argument("--boards", default="icebreaker,ulx3s-85f",
                        help="comma-separated boards to build for ('' for none)")
    parser.set_defaults(run=run)


def run(args) -> int:
    from amaranth.back import verilog

    from boards import build_for_board
    from boards.designs import make_top
    from hw import toolchain
    from hw.uart_loopback import UARTLoopback
    from sim import simulate
    from sw.cli.build import report_table

    console = Console()
    args.out.mkdir(parents=True, exist_ok=True)
    summary = {"design": "uart-loopback", "seed": args.seed}

    missing = [tool.name for tool in toolchain.find_tools() if not tool.found]
    if missing:
        console.print(f"[yellow]missing tools: {', '.join(missing)} (see `bitspin doctor`)[/yellow]")

    console.rule("1. elaborate")
    divisor = 8
    design = UARTLoopback(divisor)
    source = verilog.convert(design, name="top", emit_src=False)
    (args.out / "uart_loopback.v").write_text(source)
    console.print(f"UARTLoopback(divisor={divisor}) -> {len(source.splitlines())} lines of Verilog")

    console.rule("2. simulate in Verilator through cocotb, against the NumPy UART model")
    rng = random.Random(args.seed)
    data = [rng.randrange(256) for _ in range(48)]
    gaps = [rng.randrange(3 * divisor) for _ in data]
    with console.status("building and running the Verilator model..."):
        result = simulate(design, test_module="sim.benches.uart_loopback", simulator="verilator",
                          args={"divisor": divisor, "data": data, "gaps": gaps},
                          testcase="echoes_random_bytes")
    match = result.outputs.get("echoed") == data
    console.print(f"{len(data)} random bytes echoed bit-exactly: "
                  f"{'[green]yes[/green]' if match else '[red]NO[/red]'} "
                  f"({result.outputs.get('clocks')} clocks, {result.elapsed_s:.1f} s, "
                  f"{'built' if result.built else 'cached build'})")
    summary["simulation"] = {"simulator": "verilator", "bytes": len(data), "bit_exact": match,
                             "clocks": result.outputs.get("clocks")}

    summary["builds"] = {}
    for board in filter(None, args.boards.split(",")):
        console.rule(f"3. build for {board}")
        started = time.monotonic()
        with console.status(f"yosys + nextpnr for {board}..."):
            built = build_for_board(make_top("loopback", {}), board, args.out / board)
        console.print(report_table(built))
        console.print(f"bitstream {built.bitstream} in {time.monotonic() - started:.1f} s")
        summary["builds"][board] = built.as_dict()

    (args.out / "summary.json").write_text(json.dumps(summary, indent=2))
    ok = match and all(b["timing_met"] for b in summary["builds"].values())
    console.rule("[green]demo passed[/green]" if ok else "[red]demo failed[/red]")
    console.print(f"summary: {args.out / 'summary.json'}")
    return 0 if ok else 1
