"""``bitspin gan ...`` end to end (generation and errors; training only as a few steps)."""

import json

import numpy as np
import pytest

from bitspin.sw.cli import main as cli_main
from bitspin.sw.cli.main import main


@pytest.fixture(autouse=True)
def gan_registered(monkeypatch):
    """Register the subcommand even where sw/cli/main.py does not list it (yet)."""
    monkeypatch.setitem(cli_main.SUBCOMMANDS, "gan", "bitspin.sw.cli.gan")


def run(*argv):
    return main(["gan", *map(str, argv)])


def test_generate_npz_same_on_torch_and_golden(tmp_path, rng):
    seed = int(rng.integers(1 << 20))
    for backend in ("torch", "golden"):
        assert run("generate", "--backend", backend, "--count", 23, "--seed", seed,
                   "--out", tmp_path / f"{backend}.npz") == 0
    a, b = (np.load(tmp_path / f"{n}.npz", allow_pickle=False) for n in ("torch", "golden"))
    assert a["images"].dtype == np.uint8 and a["images"].shape == (23, 28, 28)
    assert a["labels"].dtype == np.int64
    np.testing.assert_array_equal(a["labels"], np.arange(23) % 10)
    np.testing.assert_array_equal(a["images"], b["images"])


def test_generate_labels_and_png(tmp_path):
    assert run("generate", "--count", 4, "--seed", 3, "--labels", "7,1",
               "--out", tmp_path / "x.npz") == 0
    np.testing.assert_array_equal(np.load(tmp_path / "x.npz")["labels"], [7, 1, 7, 1])
    assert run("generate", "--count", 20, "--seed", 3, "--out", tmp_path / "g.png") == 0
    assert (tmp_path / "g.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("argv", [
    ["--backend", "device", "--count", 2, "--seed", 1, "--out", "x.npz"],
    ["--count", 2, "--seed", 1, "--out", "x.txt"],
    ["--count", 0, "--seed", 1, "--out", "x.npz"],
    ["--count", 2, "--seed", -1, "--out", "x.npz"],
    ["--count", 2, "--seed", 1, "--labels", "12", "--out", "x.npz"],
])
def test_generate_errors_are_messages(tmp_path, capsys, argv, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert run("generate", *argv) == 2
    assert "error:" in capsys.readouterr().err


def test_missing_model_is_a_message(tmp_path, capsys):
    assert run("generate", "--model", tmp_path / "no.npz", "--count", 2, "--seed", 1,
               "--out", tmp_path / "x.npz") == 1
    assert "not found" in capsys.readouterr().err


def test_train_few_steps_then_generate(tmp_path, capsys):
    out = tmp_path / "m.npz"
    assert run("train", "--config", "small", "--epochs", 1, "--max-steps", 2, "--out", out,
               "--json") == 0
    summary = json.loads(capsys.readouterr().out)
    from bitspin.sw.gan.train import TrainOptions
    assert summary["steps"] == 2 and out.is_file()
    assert summary["aux_weight"] == TrainOptions().aux_weight   # the CLI default is the recipe
    assert run("generate", "--model", out, "--count", 5, "--seed", 2,
               "--out", tmp_path / "y.npz") == 0


def test_train_aux_weight_option(tmp_path, capsys):
    out = tmp_path / "m.npz"
    assert run("train", "--config", "small", "--max-steps", 1, "--aux-weight", 0.5,
               "--out", out, "--json") == 0
    assert json.loads(capsys.readouterr().out)["aux_weight"] == 0.5


def test_train_recipe_options(tmp_path, capsys):
    out = tmp_path / "m.npz"
    assert run("train", "--config", "small", "--max-steps", 2, "--no-projection",
               "--aux-on-fakes", "--lr-decay-start", 0.25, "--ema-decay", 0.5,
               "--out", out, "--json") == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["projection"] is False and summary["aux_on_fakes"] is True
    assert summary["lr_decay_start"] == 0.25 and summary["ema_decay"] == 0.5


def test_evaluate_json_reports_binarized_and_float_side_by_side(capsys):
    assert run("evaluate", "--count", 100, "--json") == 0
    report = json.loads(capsys.readouterr().out)
    for key in ("conditional_accuracy", "classifier_fid", "one_nn_accuracy"):
        assert 0 <= report["binarized"][key]
        assert report["gap_binarized_minus_float"][key] == pytest.approx(
            report["binarized"][key] - report["float"][key])
    assert report["float"]["model"].endswith("dcgan_float_default.npz")
    assert report["float"]["conditional_accuracy"] > report["binarized"]["conditional_accuracy"]
    assert report["real_reference"]["conditional_accuracy"] > 0.9
    assert report["binarized"]["n_generated"] == 100


def test_evaluate_of_another_model_needs_its_own_float_checkpoint(tmp_path, capsys):
    from bitspin.sw.gan import DEFAULT_MODEL
    assert run("evaluate", "--count", 20, "--model", DEFAULT_MODEL, "--json") == 0
    assert json.loads(capsys.readouterr().out)["float"]["available"] is False


def test_float_checkpoint_train_generate_evaluate(tmp_path, capsys):
    out = tmp_path / "f.npz"
    assert run("train", "--config", "small", "--float", "--max-steps", 1, "--out", out) == 0
    assert run("generate", "--model", out, "--backend", "torch", "--count", 3, "--seed", 1,
               "--out", tmp_path / "f_images.npz") == 0
    assert run("generate", "--model", out, "--backend", "golden", "--count", 3, "--seed", 1,
               "--out", tmp_path / "x.npz") == 2          # golden needs a binarized model
    capsys.readouterr()
    assert run("evaluate", "--count", 20, "--float-model", out, "--json") == 0
    report = json.loads(capsys.readouterr().out)
    assert "conditional_accuracy" in report["float"]


def test_train_prints_progress_lines_when_stderr_is_not_a_terminal(tmp_path, capsys):
    # capsys is not a terminal: the progress comes as plain lines (the last step always).
    assert run("train", "--config", "small", "--max-steps", 2, "--out", tmp_path / "m.npz") == 0
    err = capsys.readouterr().err
    assert "gan train: binarized small" in err and "step 2/2: D " in err
