"""The benchmark's meter selection, FPGA energy arithmetic, fmax sources and the human report."""

import json

import pytest

from bitspin.sw.bench.fmax import fmax_from_json
from bitspin.sw.bench.meters import backend_meters, device_energy, projected_energy
from bitspin.sw.bench.report import headline, markdown, write_report_dir
from bitspin.sw.energy import EnergyReading, StatedPowerMeter
from bitspin.sw.energy.rapl import RaplMeter

BACKENDS = ["cpu", "gpu", "device", "projected"]


def test_a_bare_meter_measures_the_host_backends_only():
    meters = backend_meters(["stated:30"], BACKENDS)
    assert set(meters) == {"cpu", "gpu"}
    assert all(m.watts == 30 for m in meters.values())


def test_backend_scoped_meters_override_and_add(rng):
    watts = float(rng.uniform(0.5, 5))
    meters = backend_meters(["rapl", f"device=stated:{watts}", "gpu=stated:250",
                             f"projected=stated:{watts}"], BACKENDS)
    assert isinstance(meters["cpu"], RaplMeter)
    assert meters["gpu"].watts == 250 and meters["device"].watts == watts
    assert "FPGA board" in meters["device"].source
    assert set(backend_meters(["device=stated:1"], ["cpu"])) == set()   # backend not run


@pytest.mark.parametrize("specs, message", [
    (["sim=stated:1"], "simulation"),
    (["projected=rapl"], "runs nothing"),
    (["fpga=stated:1"], "not a backend"),
    (["device=volts:3"], "bad --meter"),
])
def test_bad_meter_choices_say_why(specs, message):
    with pytest.raises(ValueError, match=message):
        backend_meters(specs, BACKENDS)


def test_device_energy_is_mean_power_times_the_device_time(rng):
    joules, wall = float(rng.uniform(1, 10)), float(rng.uniform(1, 5))
    device_s = wall * float(rng.uniform(0.01, 0.5))
    reading = EnergyReading(joules, wall, "PPK2 (measured)", True, {"samples": 10})
    fields = device_energy(reading, device_s, 1000, "update", virtual=False)
    assert fields["energy_per_update_nj"] == pytest.approx(joules / wall * device_s / 1000 * 1e9)
    assert fields["energy_measured"] is True and "cycle counter" in fields["energy_source"]
    with pytest.raises(ValueError, match="virtual board"):
        device_energy(reading, device_s, 1000, "update", virtual=True)
    stated = StatedPowerMeter(2.0)                       # a stated power is allowed there
    stated.start()
    fields = device_energy(stated.stop(), 0.5, 10, "image", virtual=True)
    assert fields["energy_per_image_uj"] == pytest.approx(2.0 * 0.5 / 10 * 1e6)
    assert fields["energy_measured"] is False and "not measured" in fields["energy_source"]
    assert device_energy(None, 1.0, 10, "image", virtual=True)["energy_per_image_uj"] is None


def test_projected_energy_is_the_stated_power_times_the_projected_time():
    fields = projected_energy(StatedPowerMeter(1.25), 2e-3, 500, "image", "ulx3s-85f")
    assert fields["energy_per_image_uj"] == pytest.approx(1.25 * 2e-3 / 500 * 1e6)
    assert fields["energy_measured"] is False and "ulx3s-85f" in fields["energy_source"]
    assert projected_energy(None, 1.0, 1, "image", "x")["energy_source"] == "not measured"


def _build(design="ising", params=None, board="ulx3s-85f", mhz=(150.0, 98.5)):
    return {"design": design, "board": board, "params": params or {"size": 64, "lanes": 16,
                                                                  "k": 16},
            "fmax_mhz": {f"clk{i}": {"achieved": f, "constraint": 12.0}
                         for i, f in enumerate(mhz)}, "timing_met": True}


def test_fmax_from_a_build_report_takes_the_slowest_clock(tmp_path):
    path = tmp_path / "build.json"
    path.write_text(json.dumps(_build()))
    mhz, source = fmax_from_json(path, "ising", {"size": 64, "lanes": 16}, "ulx3s-85f")
    assert mhz == 98.5 and str(path) in source
    for design, params, board in [("gan", {}, "ulx3s-85f"), ("ising", {"size": 32}, "ulx3s-85f"),
                                  ("ising", {"size": 64}, "icebreaker")]:
        with pytest.raises(ValueError, match="no build"):
            fmax_from_json(path, design, params, board)


def test_fmax_from_a_design_space_report_skips_points_that_do_not_fit(tmp_path):
    path = tmp_path / "space.json"
    points = [{**_build(params={"size": 64, "lanes": 64}, mhz=(80.0,)), "fits": False},
              {**_build(params={"size": 64, "lanes": 64}, mhz=(101.0,)), "fits": True}]
    path.write_text(json.dumps({"board": "ulx3s-85f", "points": points}))
    assert fmax_from_json(path, "ising", {"size": 64, "lanes": 64}, "ulx3s-85f")[0] == 101.0


@pytest.mark.parametrize("text", ["not json", "[1, 2]", '{"points": [{"x": 1}]}'])
def test_fmax_from_a_bad_file_is_one_clear_error(tmp_path, text):
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(ValueError, match="--build-json"):
        fmax_from_json(path, "ising", {}, "ulx3s-85f")


def _report(rng):
    cpu = float(rng.uniform(0.1, 1))
    return {"workload": {"model": "ising-2d", "size": 64, "sweeps": 10},
            "machine": {"cpu": "x86", "cores": 2, "date": "2026-11-22"},
            "backends": {
                "cpu": {"spin_updates_per_ns": cpu, "spin_updates_per_ns_min": cpu / 2,
                        "spin_updates_per_ns_max": cpu * 2, "device_name": "x86",
                        "energy_per_update_nj": None, "energy_source": "not measured"},
                "gpu": {"available": False, "reason": "no CUDA device on this machine"},
                "sim": {"cores": []},
                "projected": {"spin_updates_per_ns": 3 * cpu, "fmax_mhz": 100.0,
                              "board": "ulx3s-85f", "energy_per_update_nj": 0.5,
                              "energy_source": "stated 1 watts", "energy_measured": False},
            }}


def test_headline_gives_ratios_to_cpu_and_keeps_labels(rng):
    rows = {row["backend"]: row for row in headline(_report(rng))}
    assert set(rows) == {"cpu", "gpu", "projected"}
    assert rows["cpu"]["ratio_to_cpu"] == 1.0
    assert rows["projected"]["ratio_to_cpu"] == pytest.approx(3.0)
    assert rows["projected"]["how"].startswith("projected")
    assert rows["gpu"]["available"] is False


def test_report_dir_has_markdown_plot_and_json(tmp_path, rng):
    report = _report(rng)
    path = write_report_dir(report, tmp_path / "r")
    text = path.read_text()
    assert "| projected |" in text and "3×" in text and "not run: no CUDA" in text
    assert "| cpu |" in text and "not measured" in text
    assert (tmp_path / "r" / "report.png").stat().st_size > 1000
    assert json.loads((tmp_path / "r" / "report.json").read_text()) == report
    with pytest.raises(ValueError, match="not a bitspin bench report"):
        markdown({"workload": {"model": "resnet"}})


def test_ratios_name_the_strongest_cpu_per_core_and_per_machine_and_the_gpu(rng):
    report = _report(rng)
    cpu = report["backends"]["cpu"]
    cpu.update(baseline="msc", threads=2, msc={"sampler": "multi-spin coded (numba)"},
               per_core={"spin_updates_per_ns": cpu["spin_updates_per_ns"] / 2,
                         "baseline": "msc", "threads": 1})
    report["backends"]["gpu"] = {"spin_updates_per_ns": 10 * cpu["spin_updates_per_ns"],
                                 "baseline": "msc", "device_name": "H100"}
    rows = {row["backend"]: row for row in headline(report)}
    assert rows["projected"]["ratio_to_cpu"] == pytest.approx(3.0)
    assert rows["projected"]["ratio_to_cpu_core"] == pytest.approx(6.0)
    assert rows["projected"]["ratio_to_gpu"] == pytest.approx(0.3)
    text = markdown(report)
    assert "one CPU core" in text and "multi-spin coded (numba), 1 thread" in text
    assert "the CPU, all threads" in text and "2 threads" in text


def test_the_gan_cpu_baseline_is_the_strongest_exact_reference():
    from bitspin.sw.bench.gan import run
    from bitspin.sw.bench.options import BenchOptions
    report = run(BenchOptions(workload="gan", backends=["cpu"], count=20, repeats=1,
                              threads=1)).as_dict()
    cpu = report["backends"]["cpu"]
    exact = {name: cpu[name]["images_per_s"] for name in ("bitpacked", "torch", "golden")}
    assert cpu["baseline"] == max(exact, key=exact.get)
    assert cpu["per_core"]["threads"] == 1
    assert cpu["float"]["model_file"] == "dcgan_float_default.npz"
    assert "not binarized" in cpu["float"]["implementation"]
