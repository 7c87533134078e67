"""Board builds through the YoWASP tools, report parsing, and the `bitspin build` CLI."""

import json
import subprocess
import sys

import pytest

from bitspin.boards import BOARDS, build_for_board, board_by_name, parse_nextpnr_report
from bitspin.boards.designs import make_top, uart_divisor
from bitspin.sw.gan.engine_configs import engine_image


@pytest.mark.slow
@pytest.mark.parametrize("board", sorted(BOARDS))
def test_loopback_builds_and_meets_timing(board, tmp_path):
    result = build_for_board(make_top("loopback", {"baud": 115200}), board, tmp_path, seed=3)
    assert result.bitstream.exists() and result.bitstream.stat().st_size > 10_000
    assert result.report.timing_met
    assert 0 < result.report.resources["LUT"]["used"] < result.report.resources["LUT"]["available"]
    clock = board_by_name(board).clock_hz / 1e6
    for fmax in result.report.fmax_mhz.values():
        assert fmax["constraint"] == pytest.approx(clock, rel=1e-3)


@pytest.mark.slow
@pytest.mark.parametrize("board", ["icebreaker", "ulx3s-12f"])
def test_build_is_deterministic_for_a_seed(board, tmp_path):
    first = build_for_board(make_top("loopback", {}), board, tmp_path / "a", seed=7)
    second = build_for_board(make_top("loopback", {}), board, tmp_path / "b", seed=7)
    assert first.bitstream.read_bytes() == second.bitstream.read_bytes()


@pytest.mark.slow
def test_small_ising_core_on_ecp5_uses_distributed_ram_and_meets_timing(tmp_path):
    """The per-lane threshold tables map to distributed RAM on ECP5 (one small real build)."""
    result = build_for_board(make_top("ising", {"size": 16, "lanes": 4}), "ulx3s-12f", tmp_path)
    assert result.report.timing_met
    assert result.router == "router2"
    assert result.report.utilization["TRELLIS_RAMW"]["used"] >= 4 * 5


@pytest.mark.slow
def test_cli_build_json(tmp_path):
    done = subprocess.run([sys.executable, "-m", "bitspin.sw.cli.main", "build", "--board", "icebreaker",
                           "--design", "loopback", "--out", str(tmp_path), "--json"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["timing_met"] is True and report["bitstream"].endswith(".bin")
    assert set(report["fmax_mhz"]) and "ICESTORM_LC" in report["utilization"]


@pytest.mark.slow
@pytest.mark.parametrize("cores", ["ising", "gan"])
def test_icebreaker_device_of_each_core_fits_and_meets_timing(cores, tmp_path):
    """The whole device (UART, frames, registers and one core, in the board's reduced
    configuration) fits the UP5K and meets timing at the 12 MHz oscillator."""
    done = subprocess.run([sys.executable, "-m", "bitspin.sw.cli.main", "build", "--board", "icebreaker",
                           "--design", "soc", "--cores", cores, "--out", str(tmp_path),
                           "--json"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert report["timing_met"] is True
    assert report["params"]["cores"] == cores
    if cores == "ising":
        assert (report["params"]["size"], report["params"]["lanes"]) == (32, 2)
    else:
        assert report["utilization"]["ICESTORM_SPRAM"]["used"] == 4


def test_icebreaker_device_holds_one_core():
    with pytest.raises(ValueError, match="holds 1 core"):
        make_top("soc", {"board": "icebreaker"})
    make_top("soc", {"board": "icebreaker", "cores": "gan"}, gan_images=engine_image)


def _write_report(path, achieved, constraint):
    path.write_text(json.dumps({
        "utilization": {"TRELLIS_COMB": {"used": 10, "available": 100},
                        "DP16KD": {"used": 1, "available": 4}},
        "fmax": {"clk": {"achieved": achieved, "constraint": constraint}},
    }))


def test_report_parsing_and_timing_verdict(tmp_path):
    _write_report(tmp_path / "ok.json", 120.5, 100.0)
    _write_report(tmp_path / "late.json", 99.9, 100.0)
    ok = parse_nextpnr_report(tmp_path / "ok.json")
    assert ok.timing_met and ok.resources["LUT"] == {"used": 10, "available": 100}
    assert ok.resources["BRAM"]["used"] == 1
    assert not parse_nextpnr_report(tmp_path / "late.json").timing_met


def test_bad_report_is_a_clear_error(tmp_path):
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(ValueError, match="not a nextpnr report"):
        parse_nextpnr_report(tmp_path / "bad.json")


def test_unknown_board_is_a_clear_error():
    with pytest.raises(ValueError, match="known boards: .*icebreaker"):
        board_by_name("de10-nano")
    done = subprocess.run([sys.executable, "-m", "bitspin.sw.cli.main", "build", "--board", "nope",
                           "--design", "loopback"], capture_output=True, text=True)
    assert done.returncode == 2 and "invalid choice" in done.stderr
    assert "Traceback" not in done.stderr


def test_uart_divisor_rejects_impossible_rates():
    assert uart_divisor(12e6, 3_000_000) == 4
    with pytest.raises(ValueError, match="too fast"):
        uart_divisor(12e6, 6_000_000)
    with pytest.raises(ValueError, match="off at"):
        uart_divisor(12e6, 1_000_000 + 900_000)


def test_catalog_has_the_required_boards():
    assert {"icebreaker", "ulx3s-85f"} <= set(BOARDS)
    assert board_by_name("ulx3s-85f").family == "ecp5"
    assert board_by_name("icebreaker").clock_hz == 12e6


def test_soc_cores_choose_what_the_device_carries():
    from bitspin.boards.designs import identifying_params
    assert identifying_params("soc", {"cores": "ising", "size": 32, "lanes": 8}) == \
        {"cores": "ising", "size": 32, "lanes": 8, "k": 16, "rng": "xoroshiro64+", "sums": False}
    both = identifying_params("soc", {"board": "ulx3s-85f"})
    assert both["cores"] == "ising,gan" and both["engine"] == "ulx3s"
    for bad in ("dsp", "ising,ising", ","):
        with pytest.raises(ValueError, match="--cores"):
            make_top("soc", {"cores": bad})


def test_the_exchange_unit_design():
    """``--design exchange``: identified by L, k and the temperatures; one temperature is refused;
    Yosys gets the option that its LUT mapping needs for this design."""
    from bitspin.boards.designs import SYNTH_OPTS, identifying_params
    assert identifying_params("exchange", {"size": 64, "replicas": 4}) == \
        {"size": 64, "k": 16, "replicas": 4}
    with pytest.raises(ValueError, match="--replicas"):
        make_top("exchange", {"size": 16})
    assert SYNTH_OPTS["exchange"] == "-dff" and "ising" not in SYNTH_OPTS


def test_the_gan_engine_routes_with_router1_unless_told(monkeypatch, tmp_path):
    """``bitspin build --design gan`` asks nextpnr for router1 (``designs.build_options``, which
    design-space sweeps and bench's fmax builds take too); ``--router`` still decides."""
    import argparse

    import bitspin.boards
    from bitspin.sw.cli import build as cli_build

    class Stop(Exception):
        pass
    routers = []

    def no_build(top, board, out, *, router=None, **kwargs):
        routers.append(router)
        raise Stop
    monkeypatch.setattr(bitspin.boards, "build_for_board", no_build)
    parser = argparse.ArgumentParser()
    cli_build.add_parser(parser.add_subparsers())
    for extra in ([], ["--router", "router2"]):
        args = parser.parse_args(["build", "--board", "ulx3s-85f", "--design", "gan",
                                  "--out", str(tmp_path), *extra])
        with pytest.raises(Stop):
            cli_build.run(args)
    assert routers == ["router1", "router2"]
    from bitspin.boards.designs import build_options
    assert build_options("ising") == {"router": None, "synth_opts": ""}
    assert build_options("exchange")["synth_opts"] == "-dff"
