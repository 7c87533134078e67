"""The device identity: what a built device tells the host about itself (design, version, cores).

:class:`DeviceIdentity` is the one source of this fact: the gateware generator encodes it as a
compact JSON text baked into the system block's ROM, and the host decodes the same class from
that text, then refuses to run a request the device was not built for (another lattice size,
another model architecture). The register map follows from it (:meth:`DeviceIdentity.register_map`).
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

from bitspin.hw.gan.architecture import GanConfig
from bitspin.hw.gan.plan import EngineParams, EnginePlan, plan_engine
from bitspin.hw.ising.params import LANE_RNGS, LANE_RULES, IsingParams

__all__ = ["DeviceIdentity", "GanIdentity", "IdentityError", "git_hash", "DESIGN_VERSION",
           "VIRTUAL_BOARD_REVISION"]

#: Version of the device design (bumped when the register behaviour changes).
DESIGN_VERSION = "0.1.0"
#: The ``git`` field of a virtual board's identity (not a hash: it keeps the simulator build
#: cached across commits that leave the gateware alone).
VIRTUAL_BOARD_REVISION = "virtual-board"


class IdentityError(ValueError):
    """An identity text that does not decode into a :class:`DeviceIdentity`."""


def git_hash() -> str:
    """The repository's short commit hash, "+dirty" if modified; "unknown" outside a checkout."""
    root = Path(__file__).resolve().parents[2]
    try:
        head = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=root, check=True,
                              capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=root, check=True, capture_output=True, text=True,
                               timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


@dataclass(frozen=True)
class GanIdentity:
    """What the identity says about a GAN engine: everything a host must match to use it.

    Attributes
    ----------
    config : GanConfig
        The model architecture the engine was built for.
    params : EngineParams
        Its parallelism.
    load_bits : int
        Width of one load-port word.
    table_entries : int
        Entries of the sigmoid table.
    cycles_per_image : int
        Clocks per image, from the engine plan (a batch of one).
    model_sha256 : str
        Digest of the engine image the bitstream was built with.
    weights_in_spram, thresholds_in_spram : bool
        Those memories hold no model after configuration: the host must load it.
    """

    config: GanConfig
    params: EngineParams
    load_bits: int
    table_entries: int
    cycles_per_image: int
    model_sha256: str
    weights_in_spram: bool = False
    thresholds_in_spram: bool = False

    @classmethod
    def of_image(cls, image, load_bits: int, weights_in_spram: bool = False,
                 thresholds_in_spram: bool = False) -> GanIdentity:
        """The identity of an engine built from ``image`` (an ``EngineImage``)."""
        plan = image.plan
        return cls(plan.config, plan.params, load_bits, len(image.table), plan.cycles_per_image,
                   image.sha256(), weights_in_spram, thresholds_in_spram)

    def plan(self) -> EnginePlan:
        return plan_engine(self.config, self.params)

    def as_dict(self) -> dict:
        return {"config": self.config.to_dict(), "lanes": self.params.lanes,
                "chunk_bits": self.params.chunk_bits, "batch": self.params.batch,
                "load_bits": self.load_bits,
                "table_entries": self.table_entries, "cycles_per_image": self.cycles_per_image,
                "model_sha256": self.model_sha256, "weights_in_spram": self.weights_in_spram,
                "thresholds_in_spram": self.thresholds_in_spram}

    @classmethod
    def from_dict(cls, d: dict) -> GanIdentity:
        return cls(GanConfig.from_dict(d["config"]), EngineParams(d["lanes"], d["chunk_bits"],
                                                                 d.get("batch", 1)),
                   d["load_bits"], d["table_entries"], d["cycles_per_image"], d["model_sha256"],
                   d.get("weights_in_spram", False), d.get("thresholds_in_spram", False))


@dataclass(frozen=True)
class DeviceIdentity:
    """A built device: its design, version, clock, link and cores.

    Attributes
    ----------
    design : str
        What was built, for example ``soc:ising+gan``.
    clock_hz : int
        The design clock.
    baud : int or None
        The UART rate (None: no UART).
    ising : IsingParams or None
        The Ising core's parameters, if the device has one.
    gan : GanIdentity or None
        The GAN engine, if the device has one.
    git : str
        The commit it was built from (:data:`VIRTUAL_BOARD_REVISION` for a virtual board).
    version : str
        :data:`DESIGN_VERSION` of the gateware.
    """

    design: str
    clock_hz: int
    baud: int | None
    ising: IsingParams | None = None
    gan: GanIdentity | None = None
    git: str = "unknown"
    version: str = DESIGN_VERSION

    @property
    def virtual(self) -> bool:
        """A virtual board (the device simulated by Verilator), not an FPGA."""
        return self.git == VIRTUAL_BOARD_REVISION

    @property
    def cores(self) -> dict:
        """Core name -> its identity entry as it travels in the JSON text."""
        cores = {}
        if self.ising is not None:
            cores["ising"] = self.ising.as_dict()
        if self.gan is not None:
            cores["gan"] = self.gan.as_dict()
        return cores

    def as_dict(self) -> dict:
        return {"design": self.design, "version": self.version, "git": self.git,
                "clock_hz": self.clock_hz, "baud": self.baud, "cores": self.cores}

    def to_json(self) -> bytes:
        """The compact text the system block's ROM holds."""
        return json.dumps(self.as_dict(), separators=(",", ":"), sort_keys=True).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> DeviceIdentity:
        """Decode the ROM's text; :class:`IdentityError` if it is not a device identity."""
        try:
            d = json.loads(raw)
            cores = d.get("cores", {})
            ising = None
            if "ising" in cores:
                c = cores["ising"]
                ising = IsingParams(c["size"], c["lanes"], c["k"], tuple(c["algorithms"]),
                                    c.get("rng", LANE_RNGS[0]), bool(c.get("sums", False)),
                                    int(c.get("replicas", 1)), bool(c.get("couplings", False)),
                                    lane_rule=c.get("lane_rule", LANE_RULES[0]))
            gan = GanIdentity.from_dict(cores["gan"]) if "gan" in cores else None
            return cls(d["design"], int(d["clock_hz"]), d.get("baud"), ising, gan,
                       d.get("git", "unknown"), d.get("version", "unknown"))
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise IdentityError(f"not a bitspin device identity ({error})") from None

    def register_map(self):
        """The device's register map, derived from its cores (host and gateware both use it)."""
        from bitspin.hw.device.register_map import device_register_map
        return device_register_map(self.ising, self.gan.plan() if self.gan else None,
                                   self.gan.load_bits if self.gan else 0)
