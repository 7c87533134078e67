"""A benchmark report for people: a markdown table and a plot of throughput and energy per sample
by backend, with the ratios to the strongest CPU (per machine and per core) and GPU baselines.

Works on the JSON that ``bitspin bench`` writes (``{"workload", "machine", "backends"}``), for
either workload. Every FPGA figure says whether it was measured on a board, taken from a virtual
board's simulated clock, or projected from simulated cycles and a post-route fmax; every energy
figure carries the label of its source, and is "not measured" when there is none.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Report", "headline", "baselines", "BASELINES", "write_report_dir", "markdown"]

# workload -> (throughput key, its unit, energy key, its unit, what one sample is)
UNITS = {
    "ising-2d": ("spin_updates_per_ns", "spin updates/ns", "energy_per_update_nj", "nJ/update",
                 "spin update"),
    "b-dcgan": ("images_per_s", "images/s", "energy_per_image_uj", "µJ/image", "image"),
}


@dataclass
class Report:
    """One ``bitspin bench`` run: serialises to the JSON contract
    ``{"workload": {...}, "machine": {...}, "backends": {NAME: {...}}}``.

    Attributes
    ----------
    workload : dict
        What ran (``model`` names the workload: ``ising-2d`` or ``b-dcgan``) and its size.
    machine : dict
        The host the figures were taken on.
    backends : dict
        Per backend, its throughput, energy fields and where each figure came from.
    """

    workload: dict
    machine: dict
    backends: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"workload": self.workload, "machine": self.machine, "backends": self.backends}

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), indent=2)

    def write(self, path: Path, report_dir: Path | None = None) -> Path | None:
        """Write the JSON to ``path`` and, with ``report_dir``, the markdown report and plot
        there (returns the markdown file's path)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.to_json())
        return write_report_dir(self.as_dict(), report_dir) if report_dir else None


def _units(report: dict):
    model = report.get("workload", {}).get("model")
    if model not in UNITS:
        raise ValueError(f"not a bitspin bench report (workload model {model!r})")
    return UNITS[model]


def _how(name: str, entry: dict) -> str:
    """What kind of figure a backend's throughput is."""
    if name in ("cpu", "gpu"):
        how = f"measured on {entry.get('device_name', name)}"
        if entry.get("sampler"):
            how += f", {entry['sampler']}"
        if entry.get("threads"):
            how += f", {entry['threads']} thread{'s' if entry['threads'] > 1 else ''}"
        return how
    if name == "device":
        if entry.get("virtual_board"):
            return (f"virtual board: device cycle counter at a simulated "
                    f"{entry['design_clock_hz'] / 1e6:g} MHz clock (not an FPGA measurement)")
        return (f"measured on the FPGA: device cycle counter at "
                f"{entry['design_clock_hz'] / 1e6:g} MHz")
    if name == "projected":
        return (f"projected: simulated cycles × post-route fmax {entry['fmax_mhz']:.1f} MHz on "
                f"{entry['board']}")
    return name


#: The baselines every figure is compared with: (headline key, where in the report, label).
BASELINES = (("ratio_to_cpu", ("cpu",), "the CPU, all threads"),
             ("ratio_to_cpu_core", ("cpu", "per_core"), "one CPU core"),
             ("ratio_to_gpu", ("gpu",), "the GPU"))


def baselines(report: dict) -> list[dict]:
    """The strongest CPU (per machine, per core) and GPU figures that ratios are taken to, each
    with what it is; only those that were measured."""
    rate_key = _units(report)[0]
    found = []
    for key, path, label in BASELINES:
        backend = report.get("backends", {}).get(path[0]) or {}
        entry = backend.get(path[1]) or {} if len(path) > 1 else backend
        if entry.get(rate_key):
            what = entry.get("baseline", "")
            named = backend.get(what) or entry        # the reference's own one-thread entry
            implementation = named.get("implementation") or named.get("sampler") or what
            threads = entry.get("threads")
            found.append({"key": key, "label": label, "rate": entry[rate_key],
                          "what": f"{implementation}" + (f", {threads} thread"
                                                        f"{'s' if threads > 1 else ''}"
                                                        if threads else "")})
    return found


def headline(report: dict) -> list[dict]:
    """One row per backend with a throughput: figures, spread, ratios to the strongest CPU
    (whole machine: ``ratio_to_cpu``; one core: ``ratio_to_cpu_core``) and GPU
    (``ratio_to_gpu``), energy and labels."""
    rate_key, _, energy_key, _, _ = _units(report)
    backends = report.get("backends", {})
    references = {b["key"]: b["rate"] for b in baselines(report)}
    rows = []
    for name, entry in backends.items():
        if entry.get("available") is False:
            rows.append({"backend": name, "available": False, "reason": entry.get("reason", "")})
            continue
        if rate_key not in entry:
            continue
        rate = entry[rate_key]
        rows.append({
            "backend": name, "available": True, "how": _how(name, entry),
            "rate": rate, "rate_min": entry.get(f"{rate_key}_min", rate),
            "rate_max": entry.get(f"{rate_key}_max", rate),
            **{key: rate / references[key] if key in references else None
               for key, _, _ in BASELINES},
            "energy": entry.get(energy_key), "energy_source": entry.get("energy_source",
                                                                        "not measured"),
            "energy_measured": entry.get("energy_measured", False),
        })
    return rows


def ratio_text(value) -> str:
    return "–" if value is None else f"{value:.3g}×"


def _number(value) -> str:
    return "–" if value is None else f"{value:.4g}"


def markdown(report: dict, plot_name: str | None = None) -> str:
    """The report as markdown: the workload, then one table row per backend."""
    _, rate_unit, _, energy_unit, sample = _units(report)
    workload = {k: v for k, v in report["workload"].items() if not isinstance(v, (list, dict))}
    machine = report.get("machine", {})
    lines = [f"# bitspin bench: {report['workload']['model']}", "",
             "Workload (the same on every backend): " +
             ", ".join(f"{k} = {v}" for k, v in workload.items()) + ".", "",
             f"Host: {machine.get('cpu', '?')}, {machine.get('cores', '?')} cores, "
             f"{machine.get('date', '?')}.", "",
             f"| backend | throughput ({rate_unit}), median | min – max | × CPU | × CPU core | "
             f"× GPU | energy ({energy_unit}) | energy source | what the figure is |",
             "|---|---|---|---|---|---|---|---|---|"]
    for row in headline(report):
        if not row["available"]:
            lines.append(f"| {row['backend']} | – | – | – | – | – | – | – | not run: "
                         f"{row['reason']} |")
            continue
        ratios = " | ".join(ratio_text(row[key]) for key, _, _ in BASELINES)
        lines.append(f"| {row['backend']} | {_number(row['rate'])} | {_number(row['rate_min'])}"
                     f" – {_number(row['rate_max'])} | {ratios} | {_number(row['energy'])} | "
                     f"{row['energy_source']} | {row['how']} |")
    lines += ["", "Ratios are to the strongest baseline measured in this run:"]
    lines += [f"- {b['label']}: {_number(b['rate'])} {rate_unit}, {b['what']}"
              for b in baselines(report)] or ["- none (no cpu or gpu backend ran)"]
    lines += ["", f"Energy per {sample} comes only from a meter or a power the user stated "
              "(labelled in the energy-source column); it is – where neither was given."]
    if plot_name:
        lines += ["", f"![throughput and energy by backend]({plot_name})"]
    return "\n".join(lines) + "\n"


def plot(report: dict, path: Path) -> None:
    """Two bar charts (log scale): throughput by backend with its ratio to CPU, and energy per
    sample where one was obtained."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    _, rate_unit, _, energy_unit, sample = _units(report)
    rows = [r for r in headline(report) if r["available"]]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    names = [r["backend"] for r in rows]
    rates = [r["rate"] for r in rows]
    errors = [[r["rate"] - r["rate_min"] for r in rows], [r["rate_max"] - r["rate"] for r in rows]]
    left.bar(names, rates, yerr=errors, color="tab:blue", capsize=4)
    left.set_yscale("log")
    left.set_ylabel(f"{rate_unit} (median, min–max)")
    left.set_title("throughput")
    for i, r in enumerate(rows):
        if r["ratio_to_cpu"] is not None:
            left.annotate(f"{r['ratio_to_cpu']:.3g}× CPU", (i, r["rate"]), ha="center",
                          va="bottom", fontsize=8)
    metered = [r for r in rows if r["energy"] is not None]
    if metered:
        right.bar([r["backend"] for r in metered], [r["energy"] for r in metered],
                  color=["tab:green" if r["energy_measured"] else "tab:orange" for r in metered])
        right.set_yscale("log")
        right.set_title(f"energy per {sample}\n(green: measured, orange: stated power)")
    else:
        right.text(0.5, 0.5, "no energy figures:\nno meter and no stated power given",
                   ha="center", va="center", transform=right.transAxes)
        right.set_title(f"energy per {sample}")
    right.set_ylabel(energy_unit)
    fig.suptitle(f"bitspin bench {report['workload']['model']}")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def write_report_dir(report: dict, directory: Path) -> Path:
    """Write ``report.md``, ``report.png`` and ``report.json`` into ``directory``; return the .md."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    plot(report, directory / "report.png")
    (directory / "report.json").write_text(json.dumps(report, indent=2))
    path = directory / "report.md"
    path.write_text(markdown(report, "report.png"))
    return path
