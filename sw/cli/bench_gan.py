"""``bitspin bench gan``: the engine's cycles and utilization, projected images/s, CPU/GPU images/s."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

def run_gan(args, backends: list[str], meters: dict) -> int:
    """``bitspin bench gan``: ``args.count`` images on each of ``backends``."""
    from bitspin.sw.bench import gan as bench
    from bitspin.sw.bench.ising import machine
    from bitspin.sw.cli.bench import write_report
    from bitspin.sw.gan.engine_configs import engine_config
    target = engine_config(args.engine)
    err = Console(stderr=True)
    figures = bench.engine_figures(target)
    report = {"workload": {"model": "b-dcgan", "images": args.count, "repeats": args.repeats,
                           "engine": args.engine, "model_file": target.model.name, **figures},
              "machine": machine(), "backends": {}}
    for name in backends:
        with err.status(f"{name}...") as status:
            report["backends"][name] = _gan_backend(args, name, target, figures,
                                                    meters.get(name), status,
                                                    report["machine"]["cpu"])
    return write_report(args, report, _print)


def _gan_backend(args, name, target, figures, meter, status, host_cpu: str) -> dict:
    from bitspin.sw.bench import gan as bench
    from bitspin.sw.cli.bench import gpu_missing, projected_fmax
    if name == "cpu":
        status.update("cpu: golden NumPy model and PyTorch integer path")
        golden = bench.reference_images_per_s(target.model, "golden", count=args.count,
                                              repeats=args.repeats, meter=meter)
        torch_cpu = bench.reference_images_per_s(target.model, "torch", "cpu", count=args.count,
                                                 repeats=args.repeats, meter=meter)
        best = max((golden, torch_cpu), key=lambda e: e["images_per_s"])
        return {**best, "golden": golden, "torch": torch_cpu, "device_name": host_cpu}
    if name == "gpu":
        if missing := gpu_missing(bench.NOT_MEASURED_IMAGE):
            return missing
        import torch
        status.update("gpu: PyTorch integer path")
        entry = bench.reference_images_per_s(target.model, "torch", "cuda", count=args.count,
                                             repeats=args.repeats, meter=meter)
        return {**entry, "device_name": torch.cuda.get_device_name()}
    if name == "sim":
        status.update("Verilator: the engine (the first build takes minutes)")
        return bench.simulate_engine(target, count=args.sim_images)
    if name == "device":
        status.update(f"device {args.device} (a virtual board builds first)")
        return bench.device_images(args.device, args.engine, count=args.count,
                                   repeats=args.repeats, meter=meter)
    board = args.board or target.boards[0]
    params = {"engine": args.engine, "gan_lanes": target.params.lanes,
              "chunk_bits": target.params.chunk_bits}
    fmax, source = projected_fmax(args, "gan", params, board, status)
    return bench.projected(figures["cycles_per_image"], fmax, board, source, args.count, meter)


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
    sim = report["backends"].get("sim")
    if sim:
        console.print(f"Verilator: {sim['cycles_per_image']} cycles per image (matches the "
                      f"plan: {sim['cycles_match_plan']})")
    device = report["backends"].get("device")
    if device:
        console.print(f"device {device['url']}: {device['device_cycles_per_image']} device "
                      f"cycles per image; the host saw {device['host_images_per_s']:.3g} "
                      f"images/s through the link")
