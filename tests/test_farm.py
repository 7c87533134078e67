"""The farm on three virtual boards: every sweep point and every image equals the golden model,
whichever board ran it; a board or a Dask worker that dies mid-run costs a retry, not a result;
bad device lists and URLs get clear errors; Ctrl-C leaves every board usable."""

import json
import os
import random
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from bitspin.sim.virtual_board import VirtualBoardError
from bitspin.sim.virtual_board.devices import start_device
from bitspin.sw.cli.main import main
from bitspin.sw.farm import Farm, FarmError, farm_gan, farm_ising
from bitspin.sw.farm.ising import ising_point, sweep_configs
from bitspin.sw.gan.engine_configs import engine_config, engine_image
from bitspin.sw.gan.export import load_model
from bitspin.sw.gan.golden import GoldenGenerator
from bitspin.sw.gan.latent import latent_from_seed
from bitspin.sw.ising.backends import RunConfig, run
from bitspin.sw.ising.report import run_summary
from tests.device_board import ENGINE, PARAMS

BOARDS = 3
HASHES = ("final_lattice_sha256", "observables_sha256")


def _start_boards(count=BOARDS):
    return [start_device(ising=PARAMS, gan_engine=ENGINE, gan_image=engine_image(ENGINE))
            for _ in range(count)]


@pytest.fixture(scope="module")
def boards():
    started = _start_boards()
    yield started
    for board in started:
        board.close()


@pytest.fixture(scope="module")
def farm(boards):
    with Farm([b.url for b in boards]) as f:
        yield f


def _config(rng, sweeps=30):
    return RunConfig(size=PARAMS.size, lanes=PARAMS.lanes, sweeps=sweeps,
                     burn_in=int(rng.integers(0, 5)), seed=int(rng.integers(0, 1 << 32)),
                     algorithm=str(rng.choice(["metropolis", "heatbath"])),
                     init=str(rng.choice(["hot", "cold"])),
                     field=float(rng.choice([0.0, 0.25])), coupling=int(rng.choice([1, -1])))


def _golden_hashes(config):
    summary = run_summary("golden", config, run("golden", config))
    return tuple(summary[k] for k in HASHES)


def _assert_points_golden(result, config, temperatures):
    assert [p["temperature"] for p in result["points"]] == sorted(temperatures)
    for i, (point, c) in enumerate(zip(result["points"], sweep_configs(config, temperatures))):
        assert point["seed"] == config.seed + i
        assert c.seed == point["seed"] and c.beta == 1 / point["temperature"]
        assert tuple(point[k] for k in HASHES) == _golden_hashes(c), f"point {i}"


def test_sweep_points_equal_golden_whichever_board_ran_them(farm):
    rng = np.random.default_rng(random.randrange(1 << 30))
    config = _config(rng)
    temperatures = [float(t) for t in rng.uniform(1.2, 4.0, 6)]
    result = farm_ising(farm, config, temperatures)
    _assert_points_golden(result, config, temperatures)
    assert result["devices"] == BOARDS and result["retries"] == 0
    assert len({p["device"] for p in result["points"]}) >= 2
    assert sum(s["points"] for s in result["device_stats"]) == len(temperatures)


def test_gan_batch_equals_golden(farm):
    rng = np.random.default_rng(random.randrange(1 << 30))
    model = load_model(engine_config(ENGINE).model)
    count, seed = 7, int(rng.integers(0, 1 << 31))
    labels = rng.integers(0, 10, count).astype(np.int64)
    images, report = farm_gan(farm, model, count, seed, labels, chunk=2)
    z = latent_from_seed(seed, count, model.config.z_dim, model.config.z_zero_threshold)
    assert np.array_equal(images, GoldenGenerator(model).generate(z, labels))
    assert [c["start"] for c in report["chunks"]] == [0, 2, 4, 6]
    assert sum(s["images"] for s in report["device_stats"]) == count


def test_cli_farm_ising_json(boards, capsys):
    urls = ",".join(b.url for b in boards)
    argv = ["farm", "ising", "--devices", urls, "--size", str(PARAMS.size), "--lanes",
            str(PARAMS.lanes), "--sweeps", "20", "--burn-in", "2", "--seed", "11",
            "--temperatures", "2.5,1.5", "--json"]
    assert main(argv) == 0
    result = json.loads(capsys.readouterr().out)
    assert set(result) >= {"points", "devices", "retries", "elapsed_s"}
    point = result["points"][0]
    assert set(point) >= {"temperature", "seed", "device", "final_lattice_sha256",
                          "observables_sha256", "energy_per_spin"}
    config = RunConfig(size=PARAMS.size, lanes=PARAMS.lanes, sweeps=20, burn_in=2, seed=11,
                       beta=1 / 1.5)
    assert (point["temperature"], point["seed"]) == (1.5, 11)
    assert tuple(point[k] for k in HASHES) == _golden_hashes(config)


def test_cli_farm_ising_with_couplings_starts_boards_that_hold_them(tmp_path, capsys):
    """--virtual-boards starts boards whose cores hold bond signs when the run has couplings."""
    from bitspin.sw.ising.couplings import random_couplings
    random_couplings(8, 3).save(tmp_path / "glass.npz")
    argv = ["farm", "ising", "--virtual-boards", "2", "--size", "8", "--lanes", "4",
            "--couplings", str(tmp_path / "glass.npz"), "--sweeps", "20", "--burn-in", "2",
            "--seed", "5", "--temperatures", "1.0,2.0", "--json"]
    assert main(argv) == 0
    result = json.loads(capsys.readouterr().out)
    for i, point in enumerate(result["points"]):
        config = RunConfig(size=8, lanes=4, sweeps=20, burn_in=2, seed=5 + i,
                           beta=1 / point["temperature"], couplings=str(tmp_path / "glass.npz"))
        assert tuple(point[k] for k in HASHES) == _golden_hashes(config), f"point {i}"


def test_cli_farm_gan_writes_the_golden_images(boards, tmp_path, capsys):
    out = tmp_path / "farm.npz"
    model_file = engine_config(ENGINE).model
    argv = ["farm", "gan", "--devices", ",".join(b.url for b in boards[:2]), "--model",
            str(model_file), "--count", "5", "--seed", "3", "--out", str(out), "--json"]
    assert main(argv) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["devices"] == 2
    assert main(["gan", "generate", "--backend", "golden", "--model", str(model_file),
                 "--count", "5", "--seed", "3", "--out", str(tmp_path / "golden.npz")]) == 0
    farm_file, golden_file = np.load(out), np.load(tmp_path / "golden.npz")
    assert np.array_equal(farm_file["images"], golden_file["images"])
    assert np.array_equal(farm_file["labels"], golden_file["labels"])


@pytest.mark.parametrize("devices, message", [
    ("socket://127.0.0.1:1", "cannot open a device"),
    ("socket://127.0.0.1", "bad device URL"),
    ("sim", "--virtual-boards"),
    (" , ", "--devices is empty"),
])
def test_bad_device_urls_get_a_clear_error(devices, message, capsys):
    argv = ["farm", "ising", "--devices", devices, "--size", "16", "--lanes", "8",
            "--temperatures", "2.0"]
    assert main(argv) in (1, 2)
    assert message in capsys.readouterr().err


def test_a_device_listed_twice_is_refused(boards, capsys):
    assert main(["farm", "ising", "--devices", f"{boards[0].url},{boards[0].url}",
                 "--temperatures", "2.0"]) == 1
    assert "listed twice" in capsys.readouterr().err


def test_a_board_killed_mid_run_costs_a_retry_not_a_result():
    rng = np.random.default_rng(random.randrange(1 << 30))
    victims = _start_boards()
    try:
        config = _config(rng, sweeps=60)
        temperatures = [float(t) for t in np.linspace(1.5, 3.5, 9)]
        killed = []

        def on_point(done, total, point):
            if not killed:
                killed.append(victims[0].url)
                os.kill(victims[0].pid, signal.SIGKILL)

        with Farm([b.url for b in victims]) as farm:
            result = farm_ising(farm, config, temperatures, on_point=on_point, max_failures=1)
        _assert_points_golden(result, config, temperatures)
        assert result["retries"] >= 1
        assert [t["device"] for t in result["taken_out"]] == killed
    finally:
        for board in victims[1:]:
            board.close()
        with pytest.raises(VirtualBoardError, match="status -9"):
            victims[0].close()



def _dies_once(url, config, marker):
    """A farm task whose first try kills its own Dask worker process."""
    if not os.path.exists(marker):
        open(marker, "w").close()
        os._exit(1)
    return ising_point(url, config)


def test_a_worker_that_dies_mid_task_is_replaced_by_a_retry(farm, tmp_path):
    import cloudpickle

    from bitspin.sw.farm.dispatch import Task, run_tasks
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    try:
        config = _config(np.random.default_rng(random.randrange(1 << 30)))
        marker = str(tmp_path / "died")
        report = run_tasks(farm, [Task("dies-once", _dies_once, (config, marker))])
    finally:
        cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
    assert report.retries == 1
    summary = report.outcomes[0].value
    assert tuple(summary[k] for k in HASHES) == _golden_hashes(config)
    deadline = time.monotonic() + 30         # the nanny restarts the worker with its device
    while len(farm.boards) < BOARDS and time.monotonic() < deadline:
        time.sleep(0.5)
        farm.refresh()
    assert sorted(farm.boards.values()) == sorted(farm.descriptions)


def test_ctrl_c_stops_the_farm_and_leaves_every_board_usable(boards):
    urls = [b.url for b in boards]
    argv = [sys.executable, "-m", "bitspin.sw.cli.main", "farm", "ising", "--devices",
            ",".join(urls), "--size", "16", "--lanes", "8", "--sweeps", "400",
            "--temperatures", "1.5:3.5:12"]
    process = subprocess.Popen(argv, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    seen = []
    for line in process.stderr:
        seen.append(line)
        if "points (" in line:
            break
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, "".join(seen) + err
    assert "interrupted" in err
    config = RunConfig(size=16, lanes=8, sweeps=20, burn_in=2, seed=4, beta=0.45)
    for url in urls:
        summary = ising_point(url, config)
        assert tuple(summary[k] for k in HASHES) == _golden_hashes(config), url


def _free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_running_cluster_whose_workers_announce_their_boards(boards, capsys):
    """docs/farm.md's multi-host set-up, on one host: a scheduler, two workers that own a board
    each (preload + resource) and one that owns none (it gets no task)."""
    bin_dir = os.path.dirname(sys.executable)
    address = f"tcp://127.0.0.1:{_free_port()}"
    processes = [subprocess.Popen([os.path.join(bin_dir, "dask"), "scheduler", "--port",
                                   address.rsplit(":", 1)[1], "--no-dashboard"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        for board in boards[:2]:
            processes.append(subprocess.Popen(
                [os.path.join(bin_dir, "dask"), "worker", address, "--nthreads", "1",
                 "--resources", "board=1", "--preload", "bitspin.sw.farm.workers",
                 "--bitspin-device", board.url],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        processes.append(subprocess.Popen([os.path.join(bin_dir, "dask"), "worker", address,
                                           "--nthreads", "1"],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        from distributed import Client
        with Client(address, timeout="30s") as client:
            client.wait_for_workers(3, timeout=60)
        argv = ["farm", "ising", "--scheduler", address, "--size", "16", "--lanes", "8",
                "--sweeps", "20", "--burn-in", "2", "--seed", "21", "--temperatures",
                "2.0,3.0,2.5", "--json"]
        assert main(argv) == 0
        result = json.loads(capsys.readouterr().out)
        assert result["devices"] == 2
        assert {p["device"] for p in result["points"]} <= {b.url for b in boards[:2]}
        config = RunConfig(size=16, lanes=8, sweeps=20, burn_in=2, seed=21)
        _assert_points_golden(result, config, [2.0, 3.0, 2.5])
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            process.wait(timeout=30)
