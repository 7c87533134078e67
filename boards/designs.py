"""The designs ``bitspin build`` knows, each a function from CLI parameters to a board top."""

from __future__ import annotations

from typing import Callable

from bitspin.hw.gan.engine_targets import engine_for_board, engine_target
from bitspin.hw.gan.image import EngineImage
from bitspin.hw.gan.plan import EngineParams
from bitspin.hw.ising.core import IsingCore
from bitspin.hw.ising.params import DEFAULT_ISING_PARAMS, IsingParams, rule_algorithms
from bitspin.hw.uart_loopback import UARTLoopback

from .catalog import board_by_name
from .core_harness import CoreHarness
from .uart_top import UARTPinsTop

__all__ = ["DESIGNS", "DESIGN_ROUTER", "SYNTH_OPTS", "build_options", "make_top",
           "identifying_params", "uart_divisor", "GanImageSource"]

#: (engine configuration name, engine parallelism) -> the engine's memory image.
GanImageSource = Callable[[str, EngineParams], EngineImage]


def uart_divisor(clock_hz: float, baud: int) -> int:
    """Clocks per UART bit at ``clock_hz``; refuses rates off by more than 2% (8N1 tolerates ~4%)."""
    if baud <= 0:
        raise ValueError(f"baud rate must be positive, not {baud}")
    divisor = round(clock_hz / baud)
    if divisor < 4:
        raise ValueError(f"{baud} baud is too fast for a {clock_hz / 1e6:g} MHz clock "
                         f"(the UART needs at least 4 clocks per bit)")
    error = abs(clock_hz / divisor - baud) / baud
    if error > 0.02:
        raise ValueError(f"{baud} baud is {error:.1%} off at {clock_hz / 1e6:g} MHz; pick a rate "
                         f"that divides the clock more evenly")
    return divisor


def _ising_params(params: dict) -> IsingParams:
    """The Ising core of ``params`` (``size``, ``lanes``, ``k``), defaults for those not given."""
    d = DEFAULT_ISING_PARAMS
    return IsingParams(params.get("size") or d.size, params.get("lanes") or d.lanes,
                       params.get("k") or d.k, rng=params.get("rng") or d.rng,
                       sums=bool(params.get("sums", d.sums)),
                       replicas=params.get("replicas") or d.replicas,
                       couplings=bool(params.get("couplings") or d.couplings),
                       lane_rule=params.get("lane_rule") or d.lane_rule,
                       algorithms=rule_algorithms(params.get("lane_rule") or d.lane_rule))


def _loopback(params: dict, gan_images=None):
    baud = params.get("baud", 115200)
    return UARTPinsTop(lambda clock_hz: UARTLoopback(uart_divisor(clock_hz, baud)))


def _ising(params: dict, gan_images=None):
    core_params = _ising_params(params)
    if core_params.replicas > 1:
        from bitspin.hw.ising.tiles import IsingTiles
        return CoreHarness(lambda: IsingTiles(core_params))
    return CoreHarness(lambda: IsingCore(core_params))


def _lanes(params: dict, gan_images=None):
    from bitspin.hw.ising.lane_compare import LaneCompare
    core_params = _ising_params(params)
    return CoreHarness(lambda: LaneCompare(core_params.lanes, core_params.k, core_params.rng))


def _exchange(params: dict, gan_images=None):
    from bitspin.hw.ising.exchange_unit import ExchangeUnit
    core_params = _ising_params(params)
    if core_params.replicas < 2:
        raise ValueError("the exchange unit needs --replicas R with R ≥ 2 temperatures")
    return CoreHarness(lambda: ExchangeUnit(core_params, core_params.replicas))


def _engine_target(params: dict):
    """(name, EngineTarget): ``--engine``, else the configuration made for ``--board``."""
    name = params.get("engine") or engine_for_board(params.get("board"))
    return name, engine_target(name)


def _gan_image(gan_images: GanImageSource | None, name: str, engine_params):
    if gan_images is None:
        raise ValueError("a build with the GAN engine needs its memory image: pass gan_images "
                         "(for example bitspin.sw.gan.engine_configs.engine_image)")
    return gan_images(name, engine_params)


def _gan(params: dict, gan_images: GanImageSource | None):
    from bitspin.hw.gan.engine import GanEngine
    name, target = _engine_target(params)
    engine_params = EngineParams(params.get("gan_lanes") or target.params.lanes,
                                 params.get("chunk_bits") or target.params.chunk_bits,
                                 params.get("gan_batch") or target.params.batch)
    image = _gan_image(gan_images, name, engine_params)
    return CoreHarness(lambda: GanEngine(image, loadable=target.loadable,
                                         single_port_thresholds=target.thresholds_in_spram))


SOC_CORES = ("ising", "gan")


def soc_cores(params: dict) -> tuple[str, ...]:
    """The cores a ``soc`` build carries (``--cores``, default both), checked."""
    cores = tuple(c for c in str(params.get("cores") or ",".join(SOC_CORES)).split(",") if c)
    if not cores or set(cores) - set(SOC_CORES) or len(set(cores)) != len(cores):
        raise ValueError(f"--cores must name ising and/or gan, not {params.get('cores')!r}")
    if params.get("board") is not None:
        board = board_by_name(params["board"])
        if len(cores) > board.device_cores:
            raise ValueError(f"a {board.name} device holds {board.device_cores} core(s), not "
                             f"{len(cores)}: choose --cores ising or --cores gan")
    return cores


def _soc(params: dict, gan_images: GanImageSource | None):
    """The device top (UART, frames, registers) with the Ising core and/or the GAN engine."""
    from bitspin.hw.device.soc import DeviceTop
    baud = params.get("baud", 115200)
    cores = soc_cores(params)
    ising = _ising_params(params) if "ising" in cores else None
    name, target = _engine_target(params)
    image = _gan_image(gan_images, name, target.params) if "gan" in cores else None
    design = "soc:" + "+".join(cores) + (f":{name}" if image is not None else "")
    board = params.get("board")
    check = board_by_name(board).address_check if board else True
    return UARTPinsTop(lambda clock_hz: DeviceTop(
        uart_divisor(clock_hz, baud), int(clock_hz), ising=ising, gan_image=image,
        design=design, weights_in_spram=target.weights_in_spram,
        thresholds_in_spram=target.thresholds_in_spram, check_addresses=check))


DESIGNS = {
    "loopback": _loopback,
    "ising": _ising,  # the core alone, in a harness: for utilization and fmax
    "gan": _gan,      # the GAN engine alone, in a harness
    "soc": _soc,      # the device: UART, framed protocol, registers, both cores
    "lanes": _lanes,  # the lanes' RNGs and compares alone (--rng), for LUTs per lane
    "exchange": _exchange,  # chip-side exchange decisions for --replicas tiles of --size
}

#: Extra options of Yosys's synth command per design. Yosys 0.70's LUT mapping fails an internal
#: assertion on the exchange unit (while it renames the mapped outputs); with -dff it maps.
SYNTH_OPTS = {"exchange": "-dff"}

#: nextpnr's router per design where it differs from the board family's default. The GAN engine
#: routes with router1: the batch engine at K = 8 met 46.9 MHz at 66.5 MHz with it, while
#: router2 stalled at about 12 000 overused wires (run 17, docs/gan_engine.md).
DESIGN_ROUTER = {"gan": "router1"}


def build_options(design: str, router: str | None = None) -> dict:
    """The options of ``build_for_board`` that ``design`` needs, for every command that builds
    it: ``router`` if given, else the design's (``DESIGN_ROUTER``; None: the family's default),
    and its Yosys options (``SYNTH_OPTS``)."""
    return {"router": router or DESIGN_ROUTER.get(design),
            "synth_opts": SYNTH_OPTS.get(design, "")}


def identifying_params(design: str, params: dict) -> dict:
    """The parameters that tell one build of ``design`` from another (recorded in reports)."""
    core = _ising_params(params)
    ising = {"size": core.size, "lanes": core.lanes, "k": core.k, "rng": core.rng,
             "sums": core.sums,
             **({"replicas": core.replicas} if core.replicas > 1 else {}),
             **({"couplings": True} if core.couplings else {}),
             **({"lane_rule": core.lane_rule} if core.lane_rule != "table" else {})}
    if design == "ising":
        return ising
    if design == "lanes":
        return {"lanes": core.lanes, "k": core.k, "rng": core.rng}
    if design == "exchange":
        return {"size": core.size, "k": core.k, "replicas": core.replicas}
    if design in ("gan", "soc"):
        name, target = _engine_target(params)
        engine = {"engine": name,
                  "gan_lanes": params.get("gan_lanes") or target.params.lanes,
                  "chunk_bits": params.get("chunk_bits") or target.params.chunk_bits}
        batch = params.get("gan_batch") or target.params.batch
        if batch > 1:
            engine["gan_batch"] = batch
        if design == "gan":
            return engine
        cores = soc_cores(params)
        return {"cores": ",".join(cores), **(ising if "ising" in cores else {}),
                **(engine if "gan" in cores else {})}
    return {"baud": params.get("baud", 115200)}


def make_top(design: str, params: dict, gan_images: GanImageSource | None = None):
    """The board top for ``design`` with ``params`` (CLI options by name).

    ``gan_images(engine_name, engine_params)`` gives the GAN engine's memory image; the designs
    that carry the engine need it (the host reads the model file, not the board layer).

    With ``params["clock_mhz"]`` (and ``params["board"]``) the top runs from the board's PLL at
    that frequency, or the closest the PLL can make; without it, from the board's oscillator.
    """
    try:
        factory = DESIGNS[design]
    except KeyError:
        raise ValueError(f"unknown design {design!r}; known designs: {', '.join(DESIGNS)}") from None
    top = factory(params, gan_images)
    if params.get("clock_mhz"):
        # Clock the design from the board PLL instead of the oscillator (boards/clocked_top.py).
        from .clocked_top import clocked_for_board
        if not params.get("board"):
            raise ValueError("--clock-mhz needs the board, to know its oscillator and PLL")
        top = clocked_for_board(top, params["board"], params["clock_mhz"] * 1e6)
    return top
