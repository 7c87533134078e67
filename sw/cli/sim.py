"""``bitspin sim serve``: a virtual board (the device in Verilator) behind a TCP port."""

from __future__ import annotations

from rich.console import Console

from bitspin.hw.ising.params import DEFAULT_ISING_PARAMS, LANE_RNGS, LANE_RULES


def add_parser(sub):
    parser = sub.add_parser("sim", help="virtual boards: the device simulated by Verilator")
    commands = parser.add_subparsers(dest="sim_command", metavar="COMMAND", required=True)
    serve = commands.add_parser("serve", help="serve a virtual board on socket://127.0.0.1:PORT")
    serve.add_argument("--design", choices=("soc", "ising", "gan"), default="soc",
                       help="cores: soc = Ising and GAN, or one of them")
    serve.add_argument("--port", type=int, default=0, help="TCP port (0: pick a free one)")
    serve.add_argument("--size", type=int, default=DEFAULT_ISING_PARAMS.size, help="Ising: L")
    serve.add_argument("--lanes", type=int, default=DEFAULT_ISING_PARAMS.lanes, help="Ising: P")
    serve.add_argument("--precision", type=int, default=DEFAULT_ISING_PARAMS.k, help="Ising: k")
    serve.add_argument("--engine", default="ulx3s", help="GAN engine configuration")
    serve.add_argument("--rng", choices=LANE_RNGS, default=LANE_RNGS[0],
                       help="the Ising lanes' generator")
    serve.add_argument("--sums", action="store_true",
                       help="the Ising core adds up the observables on chip (--observe-every)")
    serve.add_argument("--lane-rule", choices=LANE_RULES, default=LANE_RULES[0],
                       help="Ising: the lanes' thresholds (metropolis-h0: two, Metropolis at "
                            "h = 0 only)")
    serve.add_argument("--couplings", action="store_true",
                       help="Ising: a sign bit per bond in the lattice memory (--couplings runs)")
    serve.add_argument("--replicas", type=int, default=1, metavar="R",
                       help="Ising: tiles, independent lattices each with its own temperature "
                            "(ising temper --backend device)")
    serve.set_defaults(run=run_serve)


def run_serve(args) -> int:
    from bitspin.hw.ising.params import IsingParams, rule_algorithms
    from bitspin.sim.virtual_board import build_virtual_board, serve
    from bitspin.sim.virtual_board.devices import SIM_DIVISOR, device_top
    if not 0 <= args.port < 65536:
        raise ValueError(f"--port must be in 0..65535, not {args.port}")
    ising = IsingParams(args.size, args.lanes, args.precision, rng=args.rng,
                        sums=args.sums, replicas=args.replicas, couplings=args.couplings,
                        lane_rule=args.lane_rule,
                        algorithms=rule_algorithms(args.lane_rule)) \
        if args.design in ("soc", "ising") else None
    engine = args.engine if args.design in ("soc", "gan") else None
    console = Console(stderr=True)
    with console.status("building the virtual board (Verilator; cached after the first time)"):
        image = None
        if engine is not None:
            from bitspin.sw.gan.engine_configs import engine_image
            image = engine_image(engine)
        executable = build_virtual_board(device_top(ising, engine, image), divisor=SIM_DIVISOR)
    stats = serve(None, SIM_DIVISOR, args.port, executable=executable,
                  announce=lambda line: console.print(line))
    if stats:
        console.print(f"stopped: {stats}")
    return 0
