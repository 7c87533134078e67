"""The Ising core on a device, with the golden model's API: seed, temperature, run, lattice."""

from __future__ import annotations

import time

import numpy as np

from bitspin.hw.device.register_map import IsingStatusBits, observable_record
from bitspin.hw.ising.params import IsingOp, IsingParams

from .device import join_words, split_words
from .errors import DeviceError, IdentityMismatch, LinkError
from .jobs import JobTags

__all__ = ["IsingSampler"]


class IsingSampler:
    """Drives the ISING_* registers of a :class:`~sw.device.device.Device`.

    Mirrors :class:`sw.ising.golden.GoldenIsingCore` (seed, init, load, run, lattice) so that
    :meth:`sample` gives bit-identical results to :func:`sw.ising.golden.run_golden`. Every
    command is started under a fresh job tag (:class:`~sw.device.jobs.JobTags`): a run's
    observables are returned only when every record carries the run's tag.
    """

    def __init__(self, device):
        self.device = device
        self.params: IsingParams = device.core("ising")
        self.jobs = JobTags(device, "ISING")

    def check(self, size: int, lanes: int | None = None, k: int | None = None) -> None:
        """IdentityMismatch unless the device was built for this lattice (and lanes and k)."""
        p = self.params
        wanted = {"size": size, "lanes": lanes, "k": k}
        built = {"size": p.size, "lanes": p.lanes, "k": p.k}
        wrong = [f"{name} {wanted[name]} (built: {built[name]})" for name in wanted
                 if wanted[name] is not None and wanted[name] != built[name]]
        if wrong:
            raise IdentityMismatch(
                f"the device at {self.device.url} was built for L={p.size}, P={p.lanes}, "
                f"k={p.k}; asked for {', '.join(wrong)}. Build or serve a device with those "
                f"parameters (bitspin sim serve --size {size} ...), or change the request")

    # Operations ----------------------------------------------------------------------------

    def _command(self, op: IsingOp, timeout: float = 10.0) -> None:
        self.jobs.start("ISING_COMMAND", op.value)
        self.wait_idle(timeout)
        self.jobs.verify(f"ISING {op.name}")

    def wait_idle(self, timeout: float) -> None:
        self.device.wait_for("ISING_STATUS", IsingStatusBits.BUSY, 0, timeout,
                             "the Ising core is still busy")

    def seed(self, seed: int) -> None:
        if not 0 <= seed < 1 << 64:
            raise ValueError(f"seed must be in [0, 2^64), not {seed}")
        low, high = split_words(seed, 2)
        self.device.write("ISING_SEED_LO", low)
        self.device.write("ISING_SEED_HI", high)
        self._command(IsingOp.SEED)

    def load_couplings(self, couplings, tile: int | None = None) -> None:
        """Write the bond signs of ``couplings`` (None: all +1) into ``tile``'s memory (None:
        every tile's). The spins are zeroed with them: an INIT or a lattice write follows."""
        L = self.params.size
        for each in (range(self.params.replicas) if tile is None else [tile]):
            if self.params.replicas > 1:
                self.select_tile(each)
            self.write_lattice(np.zeros((L, L), dtype=np.uint8), couplings)

    def select_tile(self, tile: int) -> None:
        """Point ISING_THRESHOLDS, the lattice registers and ISING_SUMS at ``tile``."""
        if not 0 <= tile < self.params.replicas:
            raise ValueError(f"tile must be from 0 to {self.params.replicas - 1}, not {tile}")
        self.device.write("ISING_TILE", tile)

    def set_thresholds(self, table, tile: int | None = None) -> None:
        """Write the threshold table of ``tile`` (None: of every tile)."""
        table = [int(t) for t in table]
        if len(table) != 10 or any(not 0 <= t < 1 << (self.params.k + 1) for t in table):
            raise ValueError(f"a threshold table is 10 integers of {self.params.k + 1} bits")
        for each in (range(self.params.replicas) if tile is None else [tile]):
            if self.params.replicas > 1:
                self.select_tile(each)
            self.device.write_all("ISING_THRESHOLDS", table)

    def check_rule(self, algorithm: str, field: float) -> None:
        """:class:`IdentityMismatch` if the device's lanes cannot run ``algorithm`` at ``field``
        (a core built without it, or metropolis-h0 lanes and h ≠ 0)."""
        if algorithm not in self.params.algorithms:
            raise IdentityMismatch(f"the device at {self.device.url} was built without "
                                   f"{algorithm}")
        if self.params.lane_rule == "metropolis-h0" and field != 0:
            raise IdentityMismatch(f"the device at {self.device.url} has metropolis-h0 lanes "
                                   f"(two thresholds, h = 0): it cannot run h = {field:g}")

    def set_temperature(self, beta: float, coupling: int = 1, field: float = 0.0,
                        algorithm: str = "metropolis") -> None:
        from bitspin.sw.ising.thresholds import threshold_table
        self.check_rule(algorithm, field)
        self.set_thresholds(threshold_table(beta, coupling, field, algorithm, self.params.k))

    def init(self, kind: str) -> None:
        ops = {"cold": IsingOp.INIT_COLD, "hot": IsingOp.INIT_HOT}
        if kind not in ops:
            raise ValueError(f"init must be 'hot' or 'cold', not {kind!r}")
        self._command(ops[kind])

    def write_lattice(self, lattice: np.ndarray, couplings=None) -> None:
        """Write the lattice (of the tile ISING_TILE selects); on a core with couplings, with
        the signs of ``couplings`` (None: all +1)."""
        from bitspin.sw.ising.lattice_words import lattice_to_words
        if couplings is not None and not self.params.couplings:
            raise IdentityMismatch(f"the device at {self.device.url} was built without "
                                   "couplings (build or serve it with --couplings)")
        words = lattice_to_words(self.params, lattice, couplings)
        per_word = self.device.registers["ISING_LATTICE_DATA"].count
        self.device.write("ISING_LATTICE_ADDR", 0)
        for address, word in enumerate(words):
            self.device.write_all("ISING_LATTICE_DATA", split_words(word, per_word))
            self._write_lattice_word(address)
        taken = self.device.read("ISING_LATTICE_ADDR")
        if taken != len(words) % (1 << self.params.lattice_address_bits):
            raise DeviceError(f"writing the lattice: LATTICE_ADDR ends at {taken}, not "
                              f"{len(words)} (a strobe duplicated on the link, or another host)")

    def _write_lattice_word(self, address: int) -> None:
        """Strobe LATTICE_WRITE for the word at ``address``. A strobe whose answer was lost is
        recovered from LATTICE_ADDR, which the strobe increments: ``address + 1`` means it
        ran, ``address`` that it never arrived (it is sent again)."""
        for _ in range(self.device.client.retries + 1):
            try:
                self.device.write("ISING_LATTICE_WRITE", 1, idempotent=False)
                return
            except LinkError:
                now = self.device.read("ISING_LATTICE_ADDR")
                if now == (address + 1) % (1 << self.params.lattice_address_bits):
                    return
                if now != address:
                    raise DeviceError(f"writing lattice word {address}: LATTICE_ADDR is {now}; "
                                      f"another host is using the device") from None
        raise DeviceError(f"writing lattice word {address}: the link lost every attempt")

    def read_lattice(self, tile: int | None = None) -> np.ndarray:
        """The lattice (of ``tile``, if given; else of the tile ISING_TILE selects)."""
        from bitspin.sw.ising.lattice_words import words_to_lattice
        if tile is not None:
            self.select_tile(tile)
        words = []
        for group in range(self.params.groups):
            self.device.write("ISING_LATTICE_ADDR", group)
            words.append(join_words(self.device.read_all("ISING_LATTICE_DATA")))
        return words_to_lattice(self.params, words)

    def run(self, sweeps: int, progress=None, every: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """``sweeps`` sweeps; (M, B) of each, int64. ``progress(done)`` as records arrive.
        With tiles (``params.replicas`` R > 1) M and B are [sweeps, R].

        ``every``: with on-chip sums (``IsingParams.sums``), only every ``every``-th sweep's
        record comes over the link (0: none); the sums of all of them are then read with
        :meth:`read_sums`.
        """
        if not 1 <= sweeps < 1 << 32:
            raise ValueError(f"sweeps must be in [1, 2^32), not {sweeps}")
        if not 0 <= every < 1 << 32:
            raise ValueError(f"every must be in [0, 2^32), not {every}")
        if self.params.sums:
            self.device.write("ISING_OBS_EVERY", every)
        elif every != 1:
            raise IdentityMismatch("the device's Ising core has no on-chip sums, so it sends "
                                   "every sweep's record (build it with sums)")
        self.device.write("ISING_SWEEPS", sweeps)
        tag = self.jobs.start("ISING_COMMAND", IsingOp.RUN.value)
        tiles = self.params.replicas
        total = 2 * tiles * (-(-sweeps // every) if every else 0)
        words: list[int] = []
        # A generous bound: the core's own time plus the link's, with a floor for slow links.
        per_sweep = self.params.cycles_per_sweep / self.device.clock_hz
        deadline = time.monotonic() + 10.0 + 50 * sweeps * per_sweep
        if not total:
            self.wait_idle(10.0 + 50 * sweeps * per_sweep)
        while len(words) < total:
            level = self.device.read("ISING_OBS_LEVEL")
            if level:
                words += self.device.pop("ISING_OBS_DATA", min(level, total - len(words)))
                if progress:
                    progress(min(sweeps, len(words) // (2 * tiles) * max(every, 1)))
                deadline = time.monotonic() + 10.0 + 50 * sweeps * per_sweep
            elif time.monotonic() > deadline:
                raise DeviceError(f"the device stopped sending observables after "
                                  f"{len(words) // (2 * tiles)} of {sweeps} sweeps")
            else:
                time.sleep(0.0005)
        self.jobs.verify("ISING RUN")
        raw = np.array(words, dtype=np.int64)
        m, b, tags = observable_record(raw[0::2], raw[1::2])
        wrong = np.flatnonzero(tags != tag)
        if wrong.size:
            self.jobs.check(tag, int(tags[wrong[0]]),
                            f"ISING run, sweep {wrong[0] // tiles}")
        if tiles > 1:
            return m.reshape(-1, tiles), b.reshape(-1, tiles)
        return m, b

    def read_sums(self) -> dict:
        """The last RUN's on-chip sums (``hw.ising.sums_spec``), as Python ints."""
        from bitspin.hw.ising.sums_spec import OBSERVABLE_SUMS, SUM_BITS, SUM_WORDS
        if not self.params.sums:
            raise IdentityMismatch("the device's Ising core has no on-chip sums")
        words = self.device.read_all("ISING_SUMS")
        sums = {}
        for i, name in enumerate(OBSERVABLE_SUMS):
            value = join_words(words[i * SUM_WORDS:(i + 1) * SUM_WORDS])
            sums[name] = value - (1 << SUM_BITS) if value >> (SUM_BITS - 1) else value
        return sums

    def counter(self, name: str) -> int:
        low = self.device.read(f"ISING_{name}_LO")
        return low | self.device.read(f"ISING_{name}_HI") << 32

    def sample(self, config, progress=None):
        """One whole run of ``config`` (a :class:`sw.ising.backends.RunConfig`), as
        :func:`sw.ising.golden.run_golden` does it; returns a SamplerRun."""
        from bitspin.sw.ising.result import SamplerRun
        self.check(config.size, config.lanes, config.k)
        if self.params.replicas > 1:
            raise IdentityMismatch(f"the device at {self.device.url} has {self.params.replicas} "
                                   "tiles (replicas): it runs ising temper, not a single run")
        self.check_rule(config.algorithm, config.field)
        couplings = config.load_couplings()
        if self.params.couplings:
            # Always: signs a previous job left would otherwise apply to this one.
            self.load_couplings(couplings)
        elif couplings is not None:
            raise IdentityMismatch(f"the device at {self.device.url} was built without "
                                   "couplings (build or serve it with --couplings)")
        self.set_temperature(config.beta, config.coupling, config.field, config.algorithm)
        self.seed(config.seed)
        self.init(config.init)
        # The core's counters run since reset: a run's figures are differences.
        flips_before, cycles_before = self.counter("FLIPS"), self.counter("RUN_CYCLES")
        stalls_before = self.counter("STALL_CYCLES")
        started = time.perf_counter()
        every = getattr(config, "observe_every", 1)
        if every == 1:
            m, b = self.run(config.sweeps, progress)
            m, b = m[config.burn_in:], b[config.burn_in:]
        else:
            # Burn-in without records, then the measured sweeps: on-chip sums of all of them
            # and every ``every``-th record for the error bars.
            if config.burn_in:
                self.run(config.burn_in, every=0)       # returns once the core is idle
            m, b = self.run(config.sweeps - config.burn_in,
                            progress and (lambda done: progress(config.burn_in + done)), every)
        self.wait_idle(10.0)
        self.jobs.verify("ISING RUN")
        sums = self.read_sums() if every != 1 else None
        elapsed = time.perf_counter() - started
        lattice = self.read_lattice()
        run = SamplerRun(m, b, lattice, self.counter("FLIPS") - flips_before,
                         config.sweeps * config.size ** 2, elapsed)
        if sums is not None:
            run.sums, run.observe_every = sums, every
        # Compute clocks only: the clocks the core waited for the link are counted apart.
        run.device_cycles = self.counter("RUN_CYCLES") - cycles_before
        run.device_stall_cycles = self.counter("STALL_CYCLES") - stalls_before
        run.device_clock_hz = self.device.clock_hz
        return run
