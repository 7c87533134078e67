"""Energy fields in the benchmarks: present and labelled only when a meter or a stated power is
given, null ("not measured") otherwise."""

import json

import pytest

from sw.bench.ising import fast_energy
from sw.cli.main import main
from sw.energy import StatedPowerMeter


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
