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

    summary["ising"] = _ising(console, args)

    (args.out / "summary.json").write_text(json.dumps(summary, indent=2))
    ok = match and all(b["timing_met"] for b in summary["builds"].values()) and \
        summary["ising"]["bit_exact"]
    console.rule("[green]demo passed[/green]" if ok else "[red]demo failed[/red]")
    console.print(f"summary: {args.out / 'summary.json'}")
    return 0 if ok else 1


def _ising(console, args) -> dict:
    """The Ising core in Verilator against the golden model, then a temperature scan."""
    import numpy as np

    from hw.ising.params import IsingParams
    from sim.ising_session import golden_session, hardware_session, observables_sha256
    from sw.ising import backends
    from sw.ising.plots import plot_sweep
    from sw.ising.report import lattice_sha256, run_summary
    from sw.ising.thresholds import threshold_table

    console.rule("4. Ising core (L=16, P=8) in Verilator against the golden model")
    params = IsingParams(16, 8)
    thresholds = threshold_table(1 / 2.269, algorithm="metropolis")
    ops = [["seed", args.seed], ["hot", 0], ["run", 20]]
    with console.status("building and running the Ising core in Verilator..."):
        lattice, hw_obs, counters = hardware_session(params, ops, thresholds)
    golden, golden_obs = golden_session(params, ops, thresholds)
    exact = (observables_sha256(hw_obs) == observables_sha256(golden_obs)
             and np.array_equal(lattice, golden.lattice))
    console.print(f"20 sweeps: lattice sha256 {lattice_sha256(lattice)[:16]}…, (M, B) stream "
                  f"sha256 {observables_sha256(hw_obs)[:16]}…; identical to golden: "
                  f"{'[green]yes[/green]' if exact else '[red]NO[/red]'}; "
                  f"{counters['run_cycles']} cycles, {params.cycles_per_sweep} per sweep")

    console.rule("5. temperature scan on the cpu reference against Kaufman's exact solution")
    points = []
    with console.status("sampling 9 temperatures..."):
        for temperature in np.linspace(1.6, 3.2, 9):
            config = backends.RunConfig(size=16, beta=1 / temperature, sweeps=3000, burn_in=300,
                                        seed=args.seed)
            points.append(run_summary("cpu", config, backends.run("cpu", config)))
    plot_sweep(points, 16, args.out / "ising_sweep.png")
    console.print(f"plot: {args.out / 'ising_sweep.png'}")
    return {"bit_exact": bool(exact), "cycles": counters["run_cycles"],
            "observables_sha256": observables_sha256(hw_obs), "sweep_plot": "ising_sweep.png"}
