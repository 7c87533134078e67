"""``bitspin bench ising``: throughput figures, printed and written as JSON."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console
from rich.table import Table


def add_parser(sub):
    parser = sub.add_parser("bench", help="benchmark a workload on several backends")
    parser.add_argument("workload", choices=["ising", "gan"])
    parser.add_argument("--backends", default=None,
                        help="comma-separated: cpu, gpu, sim (the core in Verilator); gan also "
                             "projected (plan cycles × post-route fmax). Default: cpu,gpu,sim")
    parser.add_argument("--sizes", default="64,256,1024", help="lattice sizes for cpu/gpu")
    parser.add_argument("--size", type=int, default=None, help="one lattice size (overrides --sizes)")
    parser.add_argument("--cores", default="16x8,64x32,256x64",
                        help="simulated core configurations, LxP, comma-separated")
    parser.add_argument("--sim-sweeps", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None,
                        help="torch CPU threads (default: torch's choice; 1 avoids OpenMP "
                             "spin-waiting on a loaded machine)")
    parser.add_argument("--engine", default="ulx3s", help="gan: engine configuration")
    parser.add_argument("--board", default=None, help="gan projected: board (default: the "
                        "engine configuration's first)")
    parser.add_argument("--build-json", type=Path, default=None,
                        help="gan projected: a `bitspin build --json` report to take fmax from "
                             "(default: build now)")
    parser.add_argument("--sim-images", type=int, default=4, help="gan sim: images")
    parser.add_argument("--device", default="sim", metavar="URL",
                        help="ising device: sim (a virtual board) or a device URL")
    parser.add_argument("--device-sweeps", type=int, default=2000, help="ising device: sweeps")
    parser.add_argument("--meter", default=None, metavar="SPEC",
                        help="energy of the cpu/gpu runs: rapl[:ZONE], nvml[:N], "
                             "ppk2:PORT[@MV] or stated:WATTS (labelled not measured)")
    parser.add_argument("--out", type=Path, default=None,
                        help="JSON report (default: out/bench/WORKLOAD.json)")
    parser.add_argument("--json", action="store_true", help="print the JSON report")
    parser.set_defaults(run=run)


def _ints(spec: str, what: str) -> list[int]:
    try:
        return [int(v) for v in spec.split(",") if v]
    except ValueError:
        raise ValueError(f"{what} must be comma-separated integers, not {spec!r}") from None


def meter_for(args, backend: str):
    """The --meter for a host-side backend (it measures this machine's CPU or GPU), or None."""
    if not args.meter:
        return None
    from sw.energy import meter_from_spec
    return meter_from_spec(args.meter, what=f"the {backend} backend")


def _cores(spec: str) -> list[tuple[int, int]]:
    try:
        return [tuple(int(v) for v in item.split("x")) for item in spec.split(",") if item]
    except ValueError:
        raise ValueError(f"--cores must look like 64x32,256x64, not {spec!r}") from None


def run(args) -> int:
    args.backends = args.backends or "cpu,gpu,sim"
    args.out = args.out or Path(f"out/bench/{args.workload}.json")
    if args.workload == "gan":
        from sw.cli.bench_gan import run_gan
        return run_gan(args)
    import torch

    from sw.bench import ising as bench
    backends = [b for b in args.backends.split(",") if b]
    unknown = set(backends) - {"cpu", "gpu", "sim", "device"}
    if unknown:
        raise ValueError(f"unknown backends {', '.join(sorted(unknown))}; choose from cpu, gpu, "
                         f"sim, device")
    sizes = [args.size] if args.size else _ints(args.sizes, "--sizes")
    if args.threads is not None:
        if args.threads < 1:
            raise ValueError("--threads must be at least 1")
        torch.set_num_threads(args.threads)
    err = Console(stderr=True)
    report = {"workload": {"model": "ising-2d", "sizes": sizes, "algorithm": "metropolis"},
              "machine": bench.machine(), "backends": {}}
    for name in backends:
        if name in ("cpu", "gpu"):
            device = "cpu" if name == "cpu" else "cuda"
            if device == "cuda" and not torch.cuda.is_available():
                report["backends"][name] = {"available": False,
                                            "reason": "no CUDA device on this machine",
                                            **bench.NOT_MEASURED}
                continue
            by_size = []
            for size in sizes:
                with err.status(f"{name}: L={size}"):
                    entry = bench.fast_reference(size, device, repeats=args.repeats)
                    if args.meter:
                        entry.update(bench.fast_energy(size, device, meter_for(args, name)))
                    by_size.append(entry)
            report["backends"][name] = {**by_size[-1], "by_size": by_size,
                                        "device_name": torch.cuda.get_device_name()
                                        if device == "cuda" else report["machine"]["cpu"]}
        elif name == "device":
            size = args.size or 32
            with err.status(f"device {args.device}: L={size} (a virtual board builds first)"):
                report["backends"]["device"] = bench.device_run(args.device, size, 16,
                                                                args.device_sweeps)
        else:
            cores = []
            for size, lanes in _cores(args.cores):
                with err.status(f"Verilator: L={size} P={lanes} (the first build is slow)"):
                    cores.append(bench.simulate_core(size, lanes, args.sim_sweeps))
            report["backends"]["sim"] = {"cores": cores, **bench.NOT_MEASURED}
    return write_report(args, report, _print)


def write_report(args, report: dict, print_table) -> int:
    """Write the JSON report to ``--out``; print it (``--json``) or its tables."""
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_table(report)
        Console().print(f"report: {args.out}")
    return 0


def _print(report):
    console = Console()
    for name, entry in report["backends"].items():
        if name == "device":
            console.print(f"device {entry['url']}: {entry['host_updates_per_s']:.3g} spin "
                          f"updates/s seen by the host, {entry['link_bytes_per_s']:.3g} link "
                          f"bytes/s, {entry['spin_updates_per_ns_at_design_clock']:.3f} "
                          f"updates/ns at the design clock ({entry['device_cycles']} cycles)")
            continue
        if name == "sim":
            table = Table(title="Ising core in Verilator (cycle counts are exact)")
            for column in ("L", "P", "cycles/sweep", "ideal L²/P", "lane utilization",
                           "Verilator updates/s"):
                table.add_column(column, justify="right")
            for c in entry["cores"]:
                table.add_row(str(c["size"]), str(c["lanes"]), f"{c['cycles_per_sweep']:.0f}",
                              f"{c['ideal_cycles_per_sweep']:.0f}", f"{c['lane_utilization']:.1%}",
                              f"{c['verilator_updates_per_s']:.3g}")
        elif entry.get("available") is False:
            console.print(f"{name}: {entry['reason']}")
            continue
        else:
            table = Table(title=f"{name} reference ({entry['device_name']})")
            for column in ("L", "median flips/ns", "min", "max"):
                table.add_column(column, justify="right")
            for s in entry["by_size"]:
                table.add_row(str(s["size"]), f"{s['spin_updates_per_ns']:.3f}",
                              f"{s['spin_updates_per_ns_min']:.3f}",
                              f"{s['spin_updates_per_ns_max']:.3f}")
        console.print(table)
