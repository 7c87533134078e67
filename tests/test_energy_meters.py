"""Energy meters against emulations: stated power, RAPL sysfs, NVML, the PPK2 serial protocol,
the --meter specs and the benchmark JSON fields."""

import math
import types

import numpy as np
import pytest

from bitspin.sw.energy import (EnergyReading, MeterError, NvmlMeter, Ppk2Client, Ppk2Meter, RaplMeter,
                       StatedPowerMeter, energy_fields, measure, meter_from_spec, per_item)
from bitspin.sw.energy.ppk2 import (ADC_MULT, Command, DEFAULT_MODIFIERS, decode_source_voltage,
                            encode_source_voltage, parse_metadata)
from tests.energy_emulators import (CALIBRATION, FakeClock, FakeNvml, FakePpk2Serial,
                                    make_rapl_zone, metadata_text, set_rapl_energy)

# ------------------------------------------------------------------------------------------------
# stated power


def test_stated_energy_is_watts_times_wall_time(rng):
    watts, seconds = float(rng.uniform(0.1, 300)), float(rng.uniform(1e-3, 100))
    clock = FakeClock(float(rng.uniform(0, 1e4)))
    meter = StatedPowerMeter(watts, "the ULX3S board", clock=clock)

    def work():
        clock.advance(seconds)
        return "done"

    result, reading = measure(meter, work)
    assert result == "done"
    assert reading.joules == pytest.approx(watts * seconds, rel=1e-12)
    assert reading.seconds == pytest.approx(seconds, rel=1e-12)
    assert reading.measured is False
    assert "not measured" in reading.source and "the ULX3S board" in reading.source
    assert f"{watts:g} watts" in reading.source


@pytest.mark.parametrize("watts", [0, -1.0, math.inf, math.nan, "x", None])
def test_stated_rejects_bad_power(watts):
    with pytest.raises(ValueError):
        StatedPowerMeter(watts)


def test_measure_stops_the_meter_when_fn_raises():
    clock = FakeClock()
    meter = StatedPowerMeter(1.0, clock=clock)
    with pytest.raises(ZeroDivisionError):
        measure(meter, lambda: 1 / 0)
    with pytest.raises(MeterError, match="without start"):
        meter.stop()


# ------------------------------------------------------------------------------------------------
# RAPL


def test_rapl_energy_difference(tmp_path, rng):
    e0 = int(rng.integers(0, 10**11))
    de = int(rng.integers(1, 10**9))
    make_rapl_zone(tmp_path, energy_uj=e0)
    clock = FakeClock(5.0)
    meter = RaplMeter(root=str(tmp_path), clock=clock)

    def work():
        clock.advance(2.0)
        set_rapl_energy(tmp_path, "intel-rapl:0", e0 + de)

    _, reading = measure(meter, work)
    assert reading.joules == pytest.approx(de * 1e-6, rel=1e-12)
    assert reading.seconds == 2.0
    assert reading.measured is True
    assert reading.source == "RAPL powercap intel-rapl:0 (package-0) (measured)"
    assert reading.details["wrapped"] is False


def test_rapl_wraparound(tmp_path):
    max_range = 262143328850
    make_rapl_zone(tmp_path, "intel-rapl:1", energy_uj=max_range - 1_000_000,
                   max_energy_range_uj=max_range, name="package-1")
    meter = RaplMeter(root=str(tmp_path), domain="intel-rapl:1", clock=FakeClock())
    meter.start()
    set_rapl_energy(tmp_path, "intel-rapl:1", 2_500_000)
    reading = meter.stop()
    assert reading.details["wrapped"] is True
    assert reading.joules == pytest.approx(3.5, rel=1e-12)
    assert "package-1" in reading.source


def test_rapl_unreadable_counter_says_how_to_fix(tmp_path):
    make_rapl_zone(tmp_path)

    def opener(path):
        if path.endswith("energy_uj"):
            raise PermissionError(13, "Permission denied", path)
        with open(path) as f:
            return f.read()

    meter = RaplMeter(root=str(tmp_path), opener=opener)
    with pytest.raises(MeterError) as err:
        meter.start()
    path = str(tmp_path / "intel-rapl:0" / "energy_uj")
    assert f"sudo chmod a+r {path}" in str(err.value)
    assert "root" in str(err.value)


def test_rapl_counter_that_is_a_directory(tmp_path):
    zone = make_rapl_zone(tmp_path)
    (zone / "energy_uj").unlink()
    (zone / "energy_uj").mkdir()
    with pytest.raises(MeterError, match="directory"):
        RaplMeter(root=str(tmp_path)).start()


def test_rapl_missing_zone_and_available(tmp_path):
    ok, why = RaplMeter.available(root=str(tmp_path))
    assert not ok and "not found" in why
    with pytest.raises(MeterError, match="does not exist"):
        RaplMeter(root=str(tmp_path)).start()
    make_rapl_zone(tmp_path)
    assert RaplMeter.available(root=str(tmp_path))[0]


# ------------------------------------------------------------------------------------------------
# NVML


def test_nvml_energy_difference(rng):
    e0, de = int(rng.integers(0, 10**12)), int(rng.integers(1, 10**7))
    fake = FakeNvml(energy_mj=[0, e0], names=["GPU A", b"GPU B"])
    clock = FakeClock()
    meter = NvmlMeter(index=1, nvml=fake, clock=clock)

    def work():
        clock.advance(0.75)
        fake.energy_mj[1] += de

    _, reading = measure(meter, work)
    assert reading.joules == pytest.approx(de * 1e-3, rel=1e-12)
    assert reading.seconds == 0.75
    assert reading.measured is True
    assert reading.source == "NVML GPU 1 GPU B total board energy (measured)"
    meter.close()
    assert fake.inits == fake.shutdowns == 1


def test_nvml_not_supported():
    fake = FakeNvml(supported=False)
    meter = NvmlMeter(nvml=fake)
    with pytest.raises(MeterError, match="not supported.*Volta"):
        meter.start()
    ok, why = NvmlMeter.available(nvml=FakeNvml(supported=False))
    assert not ok and "not supported" in why
    assert NvmlMeter.available(nvml=FakeNvml())[0]


def test_nvml_bad_index():
    with pytest.raises(MeterError, match="GPU 3"):
        NvmlMeter(index=3, nvml=FakeNvml()).start()


def test_nvml_missing_module(monkeypatch):
    import builtins
    real_import = builtins.__import__

    def no_pynvml(name, *args, **kwargs):
        if name == "pynvml":
            raise ImportError("No module named 'pynvml'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pynvml)
    with pytest.raises(MeterError, match="pip install nvidia-ml-py"):
        NvmlMeter().start()


# ------------------------------------------------------------------------------------------------
# PPK2


def _adc_step(amps_range: int) -> float:
    """Amps per 14-bit ADC step in a range, by the emulator's calibration (first order)."""
    return 4 * ADC_MULT / CALIBRATION["R"][amps_range] * CALIBRATION["GI"][amps_range]


def test_ppk2_voltage_encoding():
    assert encode_source_voltage(800) == (3, 32)
    assert encode_source_voltage(3300) == (12, 228)
    for mv in range(800, 5001, 7):
        assert decode_source_voltage(*encode_source_voltage(mv)) == mv
    assert decode_source_voltage(*encode_source_voltage(9000)) == 5000


def test_ppk2_metadata_parsing():
    mods = parse_metadata(metadata_text())
    for key, values in CALIBRATION.items():
        assert [mods[key][str(i)] for i in range(5)] == pytest.approx(values, rel=1e-5)
    assert mods["HW"] == "9173" and mods["IA"] == "56" and mods["Calibrated"] == "0"
    zero_r = metadata_text().replace("R2: 10.04", "R2: 0")
    assert parse_metadata(zero_r)["R"]["2"] == DEFAULT_MODIFIERS["R"]["2"]
    with pytest.raises(MeterError, match="END"):
        parse_metadata("R0: 1000\n")


def test_ppk2_constant_current(rng):
    """12.5 mA at 3.3 V for 0.5 s of samples: E = I·V·t to within one ADC step."""
    clock = FakeClock(float(rng.uniform(0, 100)))
    dev = FakePpk2Serial(0.0125, clock)
    meter = Ppk2Meter(api=Ppk2Client(dev), voltage_mv=3300, clock=clock)
    _, reading = measure(meter, clock.advance, 0.5)
    assert dev.commands[:4] == [(Command.GET_META_DATA,), (Command.SET_POWER_MODE, 2),
                                (Command.REGULATOR_SET, 12, 228), (Command.DEVICE_RUNNING_SET, 1)]
    assert dev.commands[-2:] == [(Command.AVERAGE_START,), (Command.AVERAGE_STOP,)]
    assert dev.vdd_mv == 3300 and dev.dut_on and dev.mode == 2
    d = reading.details
    assert d["samples"] == 50_000 and d["missing_samples"] == 0
    assert d["coverage"] == pytest.approx(1.0)
    expected = 0.0125 * 3.3 * 0.5
    tol = 0.5 * _adc_step(2) * 3.3 * 0.5
    assert abs(reading.joules - expected) <= tol
    assert abs(d["sample_integral_joules"] - expected) <= tol
    # The fake clock starts at a random time: the difference of two floats, not exactly 0.5.
    assert reading.seconds == pytest.approx(0.5, rel=1e-12) and reading.measured is True
    assert "PPK2" in reading.source and "3300 mV" in reading.source


def test_ppk2_varying_current_across_ranges(rng):
    """A current that steps through four ranges: the mean over samples is exact per ADC step."""
    levels = rng.uniform([2e-4, 3e-3, 3e-2, 0.2], [6e-4, 6e-3, 6e-2, 0.5])
    clock = FakeClock()

    def current(t):
        return levels[int(t * 40) % 4]   # 25 ms per level

    dev = FakePpk2Serial(current, clock)
    meter = Ppk2Meter(api=Ppk2Client(dev), voltage_mv=1800, clock=clock)
    _, reading = measure(meter, clock.advance, 0.2)
    ranges = {dev.adc_for(a)[0] for a in levels}
    assert len(ranges) == 4
    expected = float(np.mean(levels)) * 1.8 * 0.2
    tol = 0.5 * max(_adc_step(r) for r in ranges) * 1.8 * 0.2
    assert abs(reading.joules - expected) <= tol
    assert dev.vdd_mv == 1800


def test_ppk2_dropped_samples_are_counted():
    clock = FakeClock()
    dev = FakePpk2Serial(0.001, clock)
    client = Ppk2Client(dev)
    meter = Ppk2Meter(api=client, clock=clock, poll_s=3600)  # no polling: drain only at stop
    meter.start()
    clock.advance(0.01)           # 1000 samples
    dev.drop(4 * 10, offset=4 * 500)   # 10 lost in the USB stack mid-stream
    # (the counter is not assumed to restart at AVERAGE_START, so a loss before the first
    # sample received cannot be seen; one mid-stream can)
    reading = meter.stop()
    assert reading.details["samples"] == 990
    assert reading.details["missing_samples"] == 10


def test_ppk2_no_samples_is_an_error():
    clock = FakeClock()
    meter = Ppk2Meter(api=Ppk2Client(FakePpk2Serial(0.01, clock)), clock=clock)
    meter.start()
    with pytest.raises(MeterError, match="no samples"):
        meter.stop()


def test_ppk2_silent_port_is_an_error():
    silent = types.SimpleNamespace(write=lambda b: len(b), read=lambda n: b"", in_waiting=0)
    meter = Ppk2Meter(api=Ppk2Client(silent, metadata_timeout_s=0.05))
    with pytest.raises(MeterError, match="no metadata"):
        meter.start()


def test_ppk2_rejects_bad_voltage():
    with pytest.raises(ValueError, match="800..5000"):
        Ppk2Meter("/dev/null", voltage_mv=6000)


def test_real_ppk2_api_over_the_emulator(monkeypatch):
    """If ppk2-api is installed, its PPK2_API drives the emulator and the meter agrees."""
    ppk2_api = pytest.importorskip("ppk2_api.ppk2_api")
    clock = FakeClock()
    dev = FakePpk2Serial(0.0125, clock)
    monkeypatch.setattr(ppk2_api.serial, "Serial", lambda port, **kw: dev)
    api = ppk2_api.PPK2_API("/dev/fake")
    meter = Ppk2Meter("/dev/fake", api=api, clock=clock)
    _, reading = measure(meter, clock.advance, 0.5)
    assert dev.commands[:4] == [(Command.GET_META_DATA,), (Command.SET_POWER_MODE, 2),
                                (Command.REGULATOR_SET, 12, 228), (Command.DEVICE_RUNNING_SET, 1)]
    assert reading.details["samples"] == 50_000
    assert abs(reading.joules - 0.0125 * 3.3 * 0.5) <= 0.5 * _adc_step(2) * 3.3 * 0.5


# ------------------------------------------------------------------------------------------------
# --meter specs


def test_meter_from_spec_forms():
    m = meter_from_spec("rapl")
    assert isinstance(m, RaplMeter) and m.domain == "intel-rapl:0"
    assert meter_from_spec("rapl:intel-rapl:1").domain == "intel-rapl:1"
    assert meter_from_spec("rapl:intel-rapl:0:0").domain == "intel-rapl:0:0"
    assert isinstance(meter_from_spec("nvml"), NvmlMeter) and meter_from_spec("nvml").index == 0
    assert meter_from_spec("nvml:1").index == 1
    p = meter_from_spec("ppk2:/dev/ttyACM0")
    assert isinstance(p, Ppk2Meter) and p.port == "/dev/ttyACM0" and p.voltage_mv == 3300
    p = meter_from_spec("ppk2:/dev/ttyACM1@1800")
    assert p.port == "/dev/ttyACM1" and p.voltage_mv == 1800
    s = meter_from_spec("stated:12.5", what="the iCEBreaker")
    assert isinstance(s, StatedPowerMeter) and s.watts == 12.5 and "iCEBreaker" in s.source
    assert meter_from_spec(" STATED:3W ").watts == 3.0


@pytest.mark.parametrize("spec", ["", "joulescope", "rapl:", "rapl:../x", "nvml:x", "nvml:-1",
                                  "ppk2", "ppk2:", "ppk2:/dev/ttyACM0@x", "ppk2:/dev/ttyACM0@9000",
                                  "stated", "stated:", "stated:0", "stated:-2", "stated:inf",
                                  "stated:abc"])
def test_meter_from_spec_errors(spec):
    with pytest.raises(ValueError) as err:
        meter_from_spec(spec)
    msg = str(err.value)
    for form in ("rapl", "nvml:INDEX", "ppk2:PORT", "stated:WATTS"):
        assert form in msg


# ------------------------------------------------------------------------------------------------
# per item and the benchmark JSON fields


def test_per_item_units(rng):
    joules, count = float(rng.uniform(1e-3, 100)), int(rng.integers(1, 10**12))
    r = EnergyReading(joules=joules, seconds=1.0, source="RAPL powercap intel-rapl:0 (measured)",
                      measured=True)
    assert per_item(r, count, "update") == pytest.approx(joules * 1e9 / count, rel=1e-12)
    assert per_item(r, count, "image") == pytest.approx(joules * 1e6 / count, rel=1e-12)
    # 2 J over 1e9 spin updates is 2 nJ per update; 3 J over 1e6 images is 3 µJ per image
    assert per_item(EnergyReading(2.0, 1.0, "x", True), 10**9, "update") == pytest.approx(2.0)
    assert per_item(EnergyReading(3.0, 1.0, "x", True), 10**6, "image") == pytest.approx(3.0)
    with pytest.raises(ValueError):
        per_item(r, 0, "update")
    with pytest.raises(ValueError):
        per_item(r, 10, "sample")


def test_energy_fields():
    clock = FakeClock()
    _, stated = measure(StatedPowerMeter(2.5, "the board", clock=clock), clock.advance, 4.0)
    f = energy_fields(stated, 10**6, "image")
    assert f == {"energy_per_image_uj": pytest.approx(10.0), "energy_source": stated.source,
                 "energy_measured": False, "energy_joules": 10.0, "energy_seconds": 4.0}
    measured = EnergyReading(5e-3, 0.1, "NVML GPU 0 total board energy (measured)", True)
    f = energy_fields(measured, 10**6, "update")
    assert f["energy_per_update_nj"] == pytest.approx(5.0)
    assert f["energy_measured"] is True and f["energy_source"] == measured.source
    f = energy_fields(None, 10, "update")
    assert f["energy_per_update_nj"] is None and f["energy_source"] == "not measured"
    assert f["energy_measured"] is False


def test_measure_without_a_meter_just_runs():
    from bitspin.sw.energy import measure
    assert measure(None, lambda a, b: a + b, 2, b=3) == (5, None)
