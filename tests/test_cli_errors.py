"""Bad input gives one clear line and a non-zero exit, before any work: never a traceback, never a
silent exit 0 (the issue's list of defects, each reproduced here)."""

import os
import subprocess
import sys

import pytest

from bitspin.sw.cli.main import main


def _fails(argv, capsys, *needles, status=2):
    try:
        code = main([str(a) for a in argv])
    except SystemExit as exit_:            # argparse: a bad flag value
        code = exit_.code
    err = capsys.readouterr().err
    assert code == status, err
    assert "Traceback" not in err
    flat = " ".join(err.split())            # rich wraps long lines at the terminal's width
    for needle in needles:
        assert needle in flat, err
    return err


@pytest.mark.parametrize("argv,needle", [
    (["gan", "generate", "--count", 2, "--seed", 1, "--out", "/etc/passwd/x.png"],
     "/etc/passwd is not a folder"),
    (["demo", "--out", "/etc/passwd/x"], "/etc/passwd is not a folder"),
    (["bench", "gan", "--out", "/etc/passwd/a.json"], "/etc/passwd is not a folder"),
    (["bench", "gan", "--report", "/etc/passwd"], "/etc/passwd is a file"),
    (["gan", "train", "--out", "/etc/passwd/m.npz"], "/etc/passwd is not a folder"),
    (["ising", "sweep", "--plot", "/etc/passwd/s.png"], "/etc/passwd is not a folder"),
    (["design-space", "--board", "ulx3s-85f", "--out", "/etc/passwd/d.json"],
     "/etc/passwd is not a folder"),
])
def test_unwritable_outputs_fail_when_parsed(argv, needle, capsys):
    _fails(argv, capsys, "--", needle)


def test_a_folder_is_not_an_output_file(tmp_path, capsys):
    _fails(["gan", "generate", "--count", 2, "--seed", 1, "--out", tmp_path], capsys,
           "is a folder; give a file name")


@pytest.mark.parametrize("argv,needle", [
    (["ising", "rng-stream", "--bytes", -5], "--bytes must be 0"),
    (["ising", "rng-stream", "--lanes", 100_000_000], "--lanes must be from 1 to"),
    (["ising", "run", "--size", 1_000_000], "size L must be from 4 to"),
    (["ising", "run", "--temperature", "1e-300"], "temperature at least"),
    (["ising", "run", "--temperature", "nan"], "temperature must be positive"),
])
def test_out_of_range_values_are_refused(argv, needle, capsys):
    _fails(argv, capsys, needle)


def test_infinite_temperature_prints_valid_json(capsys):
    import json
    assert main(["ising", "run", "--size", "16", "--temperature", "inf", "--sweeps", "4",
                 "--burn-in", "0", "--json"]) == 0
    out = capsys.readouterr().out
    assert "Infinity" not in out
    assert json.loads(out)["parameters"]["temperature"] is None


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full here")
def test_a_full_output_is_one_line():
    with open("/dev/full", "wb") as full:
        done = subprocess.run([sys.executable, "-m", "bitspin.sw.cli.main", "ising", "rng-stream",
                               "--bytes", "1000000"], stdout=full, stderr=subprocess.PIPE,
                              text=True, timeout=120)
    assert done.returncode == 2
    assert "No space left on device" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("url,needle", [
    ("socket://127.0.0.1:99999", "the port must be a number from 1 to 65535"),
    ("socket://127.0.0.1", "write socket://HOST:PORT"),
    ("/dev/ttyUSB9@-5", "bad baud rate"),
    ("/dev/ttyUSB9@0", "bad baud rate"),
])
def test_bad_device_urls_say_what_is_wrong(url, needle, capsys):
    _fails(["ising", "run", "--backend", "device", "--device", url, "--sweeps", 4,
            "--burn-in", 0], capsys, needle)


@pytest.mark.parametrize("flag,value", [("--gan-lanes", 0), ("--baud", 0), ("--baud", -5),
                                        ("--chunk-bits", -1), ("--clock-mhz", 0)])
def test_build_refuses_non_positive_numbers(flag, value, capsys):
    _fails(["build", "--board", "ulx3s-85f", "--design", "gan", flag, value], capsys,
           f"argument {flag}: must be")


def test_a_model_file_that_declares_a_huge_array_is_refused_before_allocation(tmp_path, capsys):
    import io
    import zipfile

    import numpy as np
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<i8", "fortran_order": False,
                                                  "shape": (1 << 39,)})
    path = tmp_path / "huge.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("metadata.npy", header.getvalue())
    assert path.stat().st_size < 300
    _fails(["gan", "generate", "--model", path, "--count", 2, "--seed", 1, "--out",
            tmp_path / "x.png"], capsys, "declares shape (549755813888,)")


def test_a_meter_that_is_not_here_is_one_line(capsys):
    err = _fails(["bench", "ising", "--backends", "cpu", "--sweeps", 2, "--meter",
                  "rapl:no-such-zone"], capsys, "no-such-zone", status=1)
    assert "cpu, 1 thread" not in err        # refused before any work


@pytest.mark.parametrize("length", [0, 1 << 20, 0xFFFFFFFF])
def test_a_nonsense_identity_length_is_a_device_error(length):
    from bitspin.hw.device.register_map import MAGIC, PROTOCOL_VERSION
    from bitspin.sw.device.device import Device
    from bitspin.sw.device.errors import DeviceError

    class Client:
        def read(self, address, count, **_):
            return {0: [MAGIC, PROTOCOL_VERSION], 2: [length]}[address][:count]
    with pytest.raises(DeviceError, match=f"identity of {length} bytes"):
        Device(Client(), "fake")
