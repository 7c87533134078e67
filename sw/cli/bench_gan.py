"""``bitspin bench gan``: the engine's cycles and utilization, projected images/s, CPU/GPU images/s."""

from __future__ import annotations

import json

from rich.console import Console
from rich.table import Table

GAN_BACKENDS = ("cpu", "gpu", "sim", "device", "projected")


def run_gan(args) -> int:
    import torch

    from sw.bench import gan as bench
    from sw.bench.ising import machine
    from sw.cli.bench import meter_for, write_report
    from sw.gan.engine_configs import engine_config
    backends = [b for b in args.backends.split(",") if b]
    unknown = set(backends) - set(GAN_BACKENDS)
    if unknown:
        raise ValueError(f"unknown backends {', '.join(sorted(unknown))} for gan; "
                         f"choose from {', '.join(GAN_BACKENDS)}")
    target = engine_config(args.engine)
    if args.threads is not None:
        if args.threads < 1:
            raise ValueError("--threads must be at least 1")
        torch.set_num_threads(args.threads)
    err = Console(stderr=True)
    figures = bench.engine_figures(target)
    report = {"workload": {"model": "b-dcgan", "engine": args.engine,
                           "model_file": target.model.name, **figures},
              "machine": machine(), "backends": {}}
    for name in backends:
        if name == "cpu":
            with err.status("cpu: golden NumPy model and PyTorch integer path"):
                golden = bench.reference_images_per_s(target.model, "golden",
                                                      meter=meter_for(args, "cpu"))
                torch_cpu = bench.reference_images_per_s(target.model, "torch", "cpu",
                                                         meter=meter_for(args, "cpu"))
            best = max((golden, torch_cpu), key=lambda e: e["images_per_s"])
            report["backends"]["cpu"] = {**best, "golden": golden, "torch": torch_cpu,
                                         "device_name": report["machine"]["cpu"]}
        elif name == "gpu":
            if not torch.cuda.is_available():
                report["backends"]["gpu"] = {"available": False,
                                             "reason": "no CUDA device on this machine",
                                             **bench.NOT_MEASURED_IMAGE}
                continue
            with err.status("gpu: PyTorch integer path"):
                entry = bench.reference_images_per_s(target.model, "torch", "cuda", count=5000,
                                                     meter=meter_for(args, "gpu"))
            report["backends"]["gpu"] = {**entry, "device_name": torch.cuda.get_device_name()}
        elif name == "sim":
            with err.status("Verilator: the engine (the first build takes minutes)"):
                report["backends"]["sim"] = bench.simulate_engine(target, count=args.sim_images)
        elif name == "device":
            with err.status(f"device {args.device} (a virtual board builds first)"):
                report["backends"]["device"] = bench.device_images(args.device, args.engine,
                                                                   count=args.sim_images)
        else:
            report["backends"]["projected"] = _projected(args, target, figures, err)
    return write_report(args, report, _print)


def _projected(args, target, figures, err) -> dict:
    from sw.bench import gan as bench
    board = args.board or target.boards[0]
    if args.build_json:
        try:
            build = json.loads(args.build_json.read_text())
            fmax = build["fmax_mhz"]
        except (OSError, ValueError, KeyError) as error:
            raise ValueError(f"--build-json {args.build_json}: not a `bitspin build --json` "
                             f"report ({error})") from None
        source = f"post-route fmax from {args.build_json}"
    else:
        from boards import build_for_board
        from boards.designs import make_top
        with err.status(f"building the engine for {board} (yosys, nextpnr: minutes)"):
            result = build_for_board(make_top("gan", {"engine": args.engine}), board,
                                     args.out.parent / f"build-{board}-gan")
        fmax = result.as_dict()["fmax_mhz"]
        source = f"post-route fmax of a build made now ({result.bitstream})"
    achieved = min(entry["achieved"] for entry in fmax.values())
    return bench.projected(figures["cycles_per_image"], achieved, board, source)


def _print(report):
    console = Console()
    w = report["workload"]
    table = Table(title=f"GAN engine '{w['engine']}': {w['lanes']} lanes × {w['chunk_bits']} bits")
    for column in ("layer", "issue cycles", "useful MACs", "zero-insertion MACs",
                   "utilization"):
        table.add_column(column, justify="right")
    for layer in w["layers"]:
        table.add_row(layer["name"], str(layer["issue_cycles"]), str(layer["useful_macs"]),
                      str(layer["zero_insertion_macs"]), f"{layer['utilization']:.1%}")
    table.add_row("total", str(w["cycles_per_image"]), str(w["useful_binary_macs"]), "",
                  f"{w['binary_utilization']:.1%} (binary layers)")
    console.print(table)
    results = Table(title="images/s")
    for column in ("backend", "images/s", "how"):
        results.add_column(column)
    for name, entry in report["backends"].items():
        if entry.get("available") is False:
            results.add_row(name, "-", entry["reason"])
        elif name == "sim":
            results.add_row(name, "-", f"{entry['cycles_per_image']} cycles/image in Verilator "
                            f"(matches the plan: {entry['cycles_match_plan']})")
        elif name == "device":
            results.add_row(name, f"{entry['images_per_s']:.0f}",
                            f"{entry['device_cycles_per_image']} device cycles at "
                            f"{entry['design_clock_hz'] / 1e6:g} MHz; the host saw "
                            f"{entry['host_images_per_s']:.2f}/s through {entry['url']}")
        elif name == "projected":
            results.add_row(name, f"{entry['images_per_s']:.0f}",
                            f"{entry['fmax_mhz']:.1f} MHz × 1/{entry['cycles_per_image']} cycles "
                            f"on {entry['board']}")
        else:
            results.add_row(name, f"{entry['images_per_s']:.0f}",
                            f"{entry['backend']} on {entry['device_name']}, batch {entry['batch']}")
    console.print(results)
