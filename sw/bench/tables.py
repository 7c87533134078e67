"""The benchmark report as tables on the terminal: per-workload detail, then the cross-backend
headline (throughput, ratio to the CPU, energy, each with its label)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from .report import BASELINES, UNITS, baselines, headline, ratio_text

__all__ = ["print_report"]


def print_report(report: dict) -> None:
    """Print ``report`` (the JSON contract's dict) for a person."""
    if report["workload"]["model"] == "b-dcgan":
        _print_gan(report)
    else:
        _print_ising(report)
    _print_headline(report)


def _print_headline(report: dict) -> None:
    """The cross-backend table: throughput, ratio to CPU and energy, with their labels."""
    _, rate_unit, _, energy_unit, _ = UNITS[report["workload"]["model"]]
    table = Table(title="same workload, every backend")
    for column in ("backend", f"{rate_unit} (median)", "min – max", "× CPU", "× CPU core",
                   "× GPU", energy_unit, "energy is", "what the throughput is"):
        table.add_column(column)
    notes = []
    for row in headline(report):
        if not row["available"]:
            table.add_row(row["backend"], "-", "-", "-", "-", "-", "-", "-", row["reason"])
            continue
        energy_kind = ("-" if row["energy"] is None else
                       "measured" if row["energy_measured"] else "stated power")
        table.add_row(row["backend"], f"{row['rate']:.4g}",
                      f"{row['rate_min']:.4g} – {row['rate_max']:.4g}",
                      *(ratio_text(row[key]) for key, _, _ in BASELINES),
                      "-" if row["energy"] is None else f"{row['energy']:.4g}",
                      energy_kind, row["how"])
        if row["energy"] is not None:
            notes.append(f"{row['backend']} energy: {row['energy_source']}")
    console = Console()
    console.print(table)
    for b in baselines(report):
        console.print(f"[dim]baseline, {b['label']}: {b['rate']:.4g} {rate_unit}, "
                      f"{b['what']}[/dim]")
    for note in notes:
        console.print(f"[dim]{note}[/dim]")


def _print_ising(report: dict) -> None:
    console = Console()
    for name, entry in report["backends"].items():
        if name == "device":
            stalls = sum(entry["device_stall_cycles"])
            console.print(f"device {entry['url']}: {entry['device_cycles_per_sweep']:.0f} device "
                          f"cycles per sweep; the host saw {entry['host_spin_updates_per_ns']:.3g}"
                          f" updates/ns and {entry['link_bytes_per_s']:.3g} link bytes/s; the "
                          f"core waited {stalls} cycles for the host")
        elif name == "projected" and entry.get("link"):
            link = entry["link"]
            console.print(f"projected on {entry['board']}: {entry['spin_updates_per_ns']:.3g} "
                          f"updates/ns of compute; its UART at {link['baud']:,} baud carries "
                          f"{link['records_per_s']:,.0f} (M, B) records/s, so streaming every "
                          f"sweep gives {link['full_stream_spin_updates_per_ns']:.3g} updates/ns "
                          f"({link['full_stream_fraction_of_compute']:.1%}); on-chip sums with "
                          f"--observe-every {link['observe_every_for_compute_rate']} keep the "
                          "compute rate")
        elif name == "sim":
            table = Table(title="Ising core in Verilator (cycle counts are exact)")
            for column in ("L", "P", "cycles/sweep", "ideal L²/P", "lane utilization",
                           "Verilator updates/s"):
                table.add_column(column, justify="right")
            for c in entry["cores"]:
                table.add_row(str(c["size"]), str(c["lanes"]), f"{c['cycles_per_sweep']:.0f}",
                              f"{c['ideal_cycles_per_sweep']:.0f}", f"{c['lane_utilization']:.1%}",
                              f"{c['verilator_updates_per_s']:.3g}")
            console.print(table)
        elif entry.get("by_size"):
            table = Table(title=f"{name} reference ({entry['device_name']}), by lattice size")
            for column in ("L", "median flips/ns", "min", "max"):
                table.add_column(column, justify="right")
            for s in entry["by_size"]:
                table.add_row(str(s["size"]), f"{s['spin_updates_per_ns']:.3f}",
                              f"{s['spin_updates_per_ns_min']:.3f}",
                              f"{s['spin_updates_per_ns_max']:.3f}")
            console.print(table)


def _print_gan(report: dict) -> None:
    console = Console()
    w = report["workload"]
    table = Table(title=f"GAN engine '{w['engine']}': {w['lanes']} lanes × {w['chunk_bits']} bits"
                        f" × a batch of {w.get('batch', 1)}")
    for column in ("layer", "issue cycles", "useful MACs", "zero-insertion MACs",
                   "utilization"):
        table.add_column(column, justify="right")
    for layer in w["layers"]:
        table.add_row(layer["name"], str(layer["issue_cycles"]), str(layer["useful_macs"]),
                      str(layer["zero_insertion_macs"]), f"{layer['utilization']:.1%}")
    table.add_row("total per image", f"{w['cycles_per_image']:g}", str(w["useful_binary_macs"]),
                  "",
                  f"{w['binary_utilization']:.1%} (binary layers)")
    console.print(table)
    sim = report["backends"].get("sim")
    if sim:
        console.print(f"Verilator: {sim['batch_cycles']} cycles for a lone batch of "
                      f"{sim['batch']}, one batch every {sim['batch_interval']} cycles streamed, "
                      f"{sim['cycles_per_image']:g} per image (matches the plan: "
                      f"{sim['cycles_match_plan']})")
    device = report["backends"].get("device")
    if device:
        console.print(f"device {device['url']}: {device['device_cycles_per_image']} device "
                      f"cycles per image; the host saw {device['host_images_per_s']:.3g} "
                      f"images/s through the link")
