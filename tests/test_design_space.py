"""The design-space sweep: its stopping rule and best-point choice (with stand-in builds), and a
real two-point sweep on the iCEBreaker whose JSON the benchmark reads."""

import json

import pytest

import bitspin.boards.design_space as design_space
from bitspin.boards.build import BuildFailure
from bitspin.boards.design_space import run_sweep, sweep_points
from bitspin.sw.bench.fmax import fmax_from_json
from bitspin.sw.cli.main import main


class _FakeResult:
    def __init__(self, fmax):
        from bitspin.boards.report import BuildReport
        self.report = BuildReport({}, {"clk": {"achieved": fmax, "constraint": 25.0}},
                                  {"LUT": {"used": 10, "available": 100}})
        self.bitstream, self.elapsed_s = "top.bit", 1.0


def test_the_sweep_stops_at_the_first_point_that_fails(monkeypatch, tmp_path, rng):
    limit = int(rng.choice([32, 64, 128]))       # the largest P that "fits"
    built = []

    def fake_build(top, board, out_dir, *, seed, log, **options):
        lanes = int(str(out_dir).split("-")[-2])
        built.append(lanes)
        if lanes > limit:
            raise BuildFailure("log tail\nERROR: Unable to place cell 'lane_rng'\n")
        return _FakeResult(300.0 / lanes ** 0.25)
    monkeypatch.setattr(design_space, "build_for_board", fake_build)
    monkeypatch.setattr(design_space, "make_top", lambda design, params, gan_images=None: None)
    points = sweep_points("ising", size=256, lanes=[256, 16, 32, 64, 128, 512])
    partial = []
    space = run_sweep("ulx3s-85f", points, tmp_path, on_record=partial.append)
    assert built == [p for p in [16, 32, 64, 128, 256, 512] if p <= 2 * limit]
    assert [len(d["points"]) for d in partial] == list(range(1, len(built) + 1))
    assert not any(d["complete"] for d in partial) and space["complete"]
    assert partial[-1]["points"] == space["points"]
    failed = space["points"][-1]
    assert not failed["fits"] and "Unable to place" in failed["reason"]
    assert space["best"]["ising"]["params"]["lanes"] == limit
    everything = run_sweep("ulx3s-85f", points, tmp_path, keep_going=True)
    assert len(everything["points"]) == 6 and everything["best"] == space["best"]


@pytest.mark.parametrize("design, kwargs, message", [
    ("ising", {"size": 64, "lanes": [3]}, "power of two"),
    ("gan", {"engine": "ulx3s", "gan_shapes": [(64, 32)]}, "must not exceed"),
    ("dsp", {}, "design must be"),
])
def test_bad_points_are_refused_before_any_build(design, kwargs, message):
    with pytest.raises(ValueError, match=message):
        sweep_points(design, **kwargs)


@pytest.mark.slow
def test_icebreaker_ising_sweep_end_to_end(tmp_path, capsys):
    out, md = tmp_path / "space.json", tmp_path / "space.md"
    assert main(["design-space", "--board", "icebreaker", "--designs", "ising", "--size", "16",
                 "--lanes", "2,4", "--build-dir", str(tmp_path / "b"), "--out", str(out),
                 "--markdown", str(md)]) == 0
    space = json.loads(out.read_text())
    assert [p["params"]["lanes"] for p in space["points"]] == [2, 4]
    assert all(p["fits"] and p["timing_met"] for p in space["points"])
    assert space["best"]["ising"]["params"] == {"size": 16, "lanes": 4, "k": 16,
                                                "rng": "xoroshiro64+", "sums": False}
    assert space["points"][1]["resources"]["LUT"]["used"] > space["points"][0]["resources"]["LUT"]["used"]
    mhz, source = fmax_from_json(out, "ising", {"size": 16, "lanes": 4}, "icebreaker")
    assert mhz == min(c["achieved"] for c in space["points"][1]["fmax_mhz"].values())
    assert "| ising | L=16 P=4 | yes | met |" in md.read_text()
    assert "design space of icebreaker" in capsys.readouterr().out


def test_option_lists_parse_or_name_the_option():
    from bitspin.sw.cli.lists import int_list, pair_list
    assert int_list("2,4,,8", "--lanes") == [2, 4, 8]
    assert pair_list("8x32,16x64", "--gan-shapes", "8x32") == [(8, 32), (16, 64)]
    for bad in ("8x", "8x32x2", "ax3"):
        with pytest.raises(ValueError, match="--gan-shapes must look like 8x32"):
            pair_list(bad, "--gan-shapes", "8x32")
    with pytest.raises(ValueError, match="--lanes must be comma-separated integers"):
        int_list("2,x", "--lanes")
