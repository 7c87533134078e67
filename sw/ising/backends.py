"""One entry point for every Ising backend: golden (bit-exact), cpu and gpu (fast references).

The ``device`` backend runs on a real or virtual board through :mod:`sw.device`, and gives the
same hashes as ``golden``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass


from bitspin.hw.ising.params import DEFAULT_ISING_PARAMS, LANE_RNGS, IsingParams

from .result import SamplerRun
from .thresholds import check_parameters, threshold_table

__all__ = ["BACKENDS", "RunConfig", "run", "core_params"]

BACKENDS = ("golden", "cpu", "gpu", "device")
#: The largest lattice side a run takes: 2^30 spins, a few GiB in the samplers' working arrays.
MAX_SIZE = 1 << 15


@dataclass
class RunConfig:
    """Everything that defines a run, with the CLI's names and defaults."""
    size: int = DEFAULT_ISING_PARAMS.size
    beta: float = 1 / 2.269185314213022
    sweeps: int = 1000
    burn_in: int = 100
    seed: int = 1
    lanes: int = DEFAULT_ISING_PARAMS.lanes
    k: int = DEFAULT_ISING_PARAMS.k
    algorithm: str = "metropolis"
    field: float = 0.0
    coupling: int = 1
    init: str = "hot"
    threads: int | None = None      # cpu backend: threads (None: every core)
    rng: str = LANE_RNGS[0]         # golden, device: the lanes' generator (IsingParams.rng)
    observe_every: int = 1          # golden, device: on-chip sums, every k-th record (sums_spec)
    couplings: str | None = None    # a ±J couplings .npz (sw.ising.couplings); None: all +1

    def validate(self) -> None:
        """Raise ``ValueError`` with a clear message for any parameter no backend accepts."""
        check_parameters(self.beta, self.coupling, self.field, self.algorithm)
        if self.init not in ("hot", "cold"):
            raise ValueError(f"init must be 'hot' or 'cold', not {self.init!r}")
        if not isinstance(self.sweeps, int) or self.sweeps < 2:
            raise ValueError(f"sweeps must be an integer of at least 2, not {self.sweeps!r}")
        if not 0 <= self.burn_in <= self.sweeps - 2:
            raise ValueError(f"burn-in must be from 0 to sweeps - 2 = {self.sweeps - 2} so that at "
                             f"least two sweeps are measured, not {self.burn_in}")
        if not isinstance(self.size, int) or not 4 <= self.size <= MAX_SIZE:
            raise ValueError(f"size L must be from 4 to {MAX_SIZE}, not {self.size!r}")
        if not 0 <= self.seed < 1 << 64:
            raise ValueError(f"seed must be in [0, 2^64), not {self.seed}")
        if not isinstance(self.observe_every, int) or self.observe_every < 1:
            raise ValueError(f"observe-every must be a positive integer, not "
                             f"{self.observe_every!r}")
        if self.observe_every > 1 and (self.sweeps - self.burn_in) // self.observe_every < 2:
            raise ValueError(f"observe-every {self.observe_every} leaves fewer than two records "
                             f"of the {self.sweeps - self.burn_in} measured sweeps for the error "
                             "bars")
        if self.rng not in LANE_RNGS:
            raise ValueError(f"rng must be one of {', '.join(LANE_RNGS)}, not {self.rng!r}")
        if self.threads is not None and (not isinstance(self.threads, int) or self.threads < 1):
            raise ValueError(f"threads must be at least 1, not {self.threads!r}")
        self.load_couplings()

    def load_couplings(self):
        """The run's :class:`~sw.ising.couplings.Couplings` (checked against ``size``), or None."""
        if self.couplings is None:
            return None
        if self.coupling != 1:
            raise ValueError("--coupling cannot go with --couplings: the file holds every "
                             "bond's sign")
        from .couplings import load_couplings
        return load_couplings(self.couplings, self.size)

    @property
    def temperature(self) -> float:
        return math.inf if self.beta == 0 else 1 / self.beta

    def as_dict(self) -> dict:
        """The configuration for JSON: ``temperature`` is null at β = 0 (T = ∞), which JSON
        cannot write as a number."""
        temperature = self.temperature
        return {**asdict(self), "temperature": temperature if math.isfinite(temperature) else None}


def core_params(config: RunConfig) -> IsingParams:
    """The core a golden or device run of ``config`` needs (on-chip sums if it decimates, the
    bonds' signs if it has couplings)."""
    return IsingParams(config.size, config.lanes, config.k, rng=config.rng,
                       sums=config.observe_every > 1, couplings=config.couplings is not None)


def _golden(config: RunConfig, progress) -> SamplerRun:
    from .golden import run_golden
    thresholds = threshold_table(config.beta, config.coupling, config.field, config.algorithm,
                                 config.k)
    result = run_golden(core_params(config), thresholds, sweeps=config.sweeps,
                        burn_in=config.burn_in, seed=config.seed, init=config.init,
                        progress=progress, couplings=config.load_couplings())
    if config.observe_every > 1:
        # As the core: sums of every measured record, and every k-th record.
        from bitspin.hw.ising.sums_spec import observable_sums
        result.sums = observable_sums(result.magnetization, result.bond_sum)
        result.observe_every = config.observe_every
        result.magnetization = result.magnetization[::config.observe_every]
        result.bond_sum = result.bond_sum[::config.observe_every]
    return result


def _fast(config: RunConfig, progress, device: str) -> SamplerRun:
    """The cpu and gpu backends: the multi-spin-coded sampler where it applies (h = 0
    Metropolis; numba on the CPU, torch on CUDA), else the general checkerboard sampler."""
    from .fast import run_fast
    from .msc import msc_unsupported
    reason = msc_unsupported(config.size, config.field, config.algorithm)
    couplings = config.load_couplings()
    if couplings is not None and reason is not None:
        raise ValueError("--couplings runs on the cpu and gpu backends where their multi-spin-"
                         "coded samplers apply (h = 0 Metropolis, L/2 at most 64 or a multiple "
                         f"of 64), not with {reason}; the golden and device backends take any")
    if reason is None:
        common = dict(sweeps=config.sweeps, burn_in=config.burn_in, J=config.coupling,
                      init=config.init, seed=config.seed, progress=progress)
        if device == "cpu":
            from .msc import run_msc
            return run_msc(config.size, config.beta, threads=config.threads,
                           couplings=couplings, **common)
        from .msc_torch import run_msc_torch
        return run_msc_torch(config.size, config.beta, device=device, couplings=couplings,
                             **common)
    if device == "cpu" and config.threads is not None:
        import torch
        torch.set_num_threads(config.threads)
    result = run_fast(config.size, config.beta, sweeps=config.sweeps, burn_in=config.burn_in,
                    J=config.coupling, h=config.field, algorithm=config.algorithm,
                    init=config.init, seed=config.seed, device=device, progress=progress)
    result.sampler = f"checkerboard (torch, {device})"
    if device == "cpu":
        import torch
        result.threads = torch.get_num_threads()
    return result


def _device(config: RunConfig, progress, url: str | None) -> SamplerRun:
    from bitspin.sw.device.connect import open_device
    from bitspin.sw.device.ising_sampler import IsingSampler
    with open_device(url, ising=core_params(config)) as device:
        return IsingSampler(device).sample(config, progress)


def run(backend: str, config: RunConfig, *, device_url: str | None = None,
        progress=None) -> SamplerRun:
    """Run ``config`` on ``backend``; ``progress(sweeps_done)`` is called as the run goes."""
    config.validate()
    if backend == "golden":
        return _golden(config, progress)
    if config.observe_every > 1 and backend in ("cpu", "gpu"):
        raise ValueError("--observe-every is for the golden and device backends (on-chip sums)")
    if backend == "cpu":
        return _fast(config, progress, "cpu")
    if backend == "gpu":
        return _fast(config, progress, "cuda")
    if backend == "device":
        return _device(config, progress, device_url)
    raise ValueError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
