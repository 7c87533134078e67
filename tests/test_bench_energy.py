"""Energy fields in the benchmarks: present and labelled only when a meter or a stated power is
given, null ("not measured") otherwise."""

import json

import pytest

from bitspin.sw.bench.ising import fast_energy
from bitspin.sw.cli.main import main
from bitspin.sw.energy import StatedPowerMeter


def test_ising_energy_from_a_stated_power():
    fields = fast_energy(16, "cpu", StatedPowerMeter(5.0, "this CPU"), sweeps=30)
    assert fields["energy_measured"] is False
    assert "not measured" in fields["energy_source"] and "5" in fields["energy_source"]
    updates = 30 * 16 * 16
    assert fields["energy_per_update_nj"] == pytest.approx(fields["energy_joules"] / updates * 1e9)
    assert fields["energy_joules"] == pytest.approx(5.0 * fields["energy_seconds"])


def test_gan_bench_cli_with_and_without_a_meter(tmp_path, capsys):
    out = tmp_path / "gan.json"
    assert main(["bench", "gan", "--backends", "cpu", "--threads", "1", "--meter", "stated:7",
                 "--out", str(out), "--json"]) == 0
    cpu = json.loads(out.read_text())["backends"]["cpu"]
    assert cpu["energy_per_image_uj"] > 0 and cpu["energy_measured"] is False
    assert "stated 7" in cpu["energy_source"]
    capsys.readouterr()
    assert main(["bench", "gan", "--backends", "cpu", "--threads", "1", "--out", str(out)]) == 0
    cpu = json.loads(out.read_text())["backends"]["cpu"]
    assert cpu["energy_per_image_uj"] is None and cpu["energy_source"] == "not measured"


def test_bad_meter_is_one_line(capsys):
    assert main(["bench", "gan", "--backends", "cpu", "--meter", "volts:3"]) == 2
    assert "error:" in capsys.readouterr().err


def test_ising_bench_projected_from_a_saved_build(tmp_path, capsys):
    """projected = Verilator's cycles × the report's fmax, with a stated board power."""
    from bitspin.hw.ising.params import IsingParams
    build = tmp_path / "build.json"
    build.write_text(json.dumps({"design": "ising", "board": "icebreaker",
                                 "params": {"size": 16, "lanes": 8, "k": 16},
                                 "fmax_mhz": {"clk": {"achieved": 40.0, "constraint": 12.0}}}))
    out, report_dir = tmp_path / "ising.json", tmp_path / "report"
    assert main(["bench", "ising", "--backends", "cpu,projected", "--size", "16", "--lanes", "8",
                 "--sweeps", "20", "--repeats", "1", "--threads", "1", "--board", "icebreaker",
                 "--build-json", str(build), "--meter", "projected=stated:1.5",
                 "--out", str(out), "--report", str(report_dir)]) == 0
    entry = json.loads(out.read_text())["backends"]["projected"]
    params = IsingParams(16, 8)
    cycles = 20 * params.cycles_per_sweep + params.measure_pass_cycles
    assert entry["run_cycles"] == cycles
    assert entry["spin_updates_per_ns"] == pytest.approx(20 * 256 / (cycles / 40e6) / 1e9)
    assert entry["energy_per_update_nj"] == pytest.approx(1.5 * cycles / 40e6 / (20 * 256) * 1e9)
    text = (report_dir / "report.md").read_text()
    assert "| projected |" in text and "| cpu |" in text
    assert "same workload" in capsys.readouterr().out


@pytest.mark.parametrize("batch", [5, 6])
def test_gan_bench_projects_another_batch_from_its_build(batch, tmp_path):
    """--gan-batch K: the plan of a K-image engine and the fmax of a build made with K; a build
    of another batch is refused."""
    from bitspin.sw.gan.engine_configs import engine_config
    build = tmp_path / "build.json"
    params = {"engine": "ulx3s", "gan_lanes": 16, "chunk_bits": 64, "gan_batch": batch}
    build.write_text(json.dumps({"design": "gan", "board": "ulx3s-85f", "params": params,
                                 "fmax_mhz": {"clk": {"achieved": 70.0, "constraint": 60.0}}}))
    out = tmp_path / "gan.json"
    args = ["bench", "gan", "--backends", "projected", "--board", "ulx3s-85f",
            "--build-json", str(build), "--out", str(out)]
    assert main([*args, "--gan-batch", str(batch)]) == 0
    report = json.loads(out.read_text())
    plan = engine_config("ulx3s").with_batch(batch).engine_image().plan
    assert report["workload"]["cycles_per_image"] == plan.cycles_per_image
    assert report["backends"]["projected"]["images_per_s"] == \
        pytest.approx(70e6 / plan.cycles_per_image)
    assert main(args) == 2
