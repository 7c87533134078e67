"""``bitspin sim serve`` from a user's point of view: start it, connect, check, stop it."""

import re
import signal
import subprocess
import sys

import pytest

from bitspin.sw.device.device import Device
from bitspin.sw.device.ising_sampler import IsingSampler
from bitspin.sw.ising.backends import RunConfig, run
from bitspin.sw.ising.report import observables_sha256

pytestmark = pytest.mark.slow


def test_serve_then_run_through_the_socket_url():
    command = [sys.executable, "-m", "bitspin.sw.cli.main", "sim", "serve", "--design", "ising",
               "--size", "16", "--lanes", "8", "--port", "0"]
    # As from a terminal: SIGINT at its default. A pytest-xdist worker ignores SIGINT, and an
    # ignored signal stays ignored across exec, so the server would never see the Ctrl-C.
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        url = None
        for line in process.stderr:
            found = re.search(r"socket://127\.0\.0\.1:\d+", line)
            if found:
                url = found.group(0)
                break
        assert url, "bitspin sim serve did not announce its URL"
        with Device.open(url) as device:
            assert device.identity.cores == {"ising": {"size": 16, "lanes": 8, "k": 16,
                                                          "algorithms": ["metropolis",
                                                                         "heatbath"],
                                                          "rng": "xoroshiro64+", "sums": False,
                                                          "replicas": 1, "couplings": False}}
            config = RunConfig(size=16, lanes=8, sweeps=40, burn_in=0, seed=11)
            ours = IsingSampler(device).sample(config)
        golden = run("golden", config)
        assert observables_sha256(ours.magnetization, ours.bond_sum) == \
            observables_sha256(golden.magnetization, golden.bond_sum)
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
    assert process.returncode == 0
