"""DeviceIdentity: the gateware's identity text decodes into the same object on the host."""

import pytest

from bitspin.hw.device.identity import DeviceIdentity, IdentityError, VIRTUAL_BOARD_REVISION
from bitspin.hw.device.soc import DeviceCore
from bitspin.hw.ising.params import IsingParams
from bitspin.sw.gan.engine_configs import engine_image


@pytest.mark.parametrize("cores", ["ising", "gan", "ising+gan"])
def test_the_identity_round_trips_through_its_json_text(cores):
    ising = IsingParams(16, 8, 12, ("metropolis",), "wheel", True) if "ising" in cores else None
    image = engine_image("icebreaker") if "gan" in cores else None
    core = DeviceCore(25_000_000, ising=ising, gan_image=image, baud=115200,
                      design=f"soc:{cores}", revision=VIRTUAL_BOARD_REVISION)
    decoded = DeviceIdentity.from_json(core.identity.to_json())
    assert decoded == core.identity
    assert decoded.virtual
    assert set(decoded.cores) == set(cores.split("+"))
    assert decoded.register_map().as_table() == core.identity.register_map().as_table()


def test_the_json_keys_are_the_documented_ones():
    identity = DeviceIdentity("soc:ising", 12_000_000, 3_000_000, IsingParams(32, 16), git="abc")
    assert identity.as_dict() == {
        "design": "soc:ising", "version": identity.version, "git": "abc", "clock_hz": 12_000_000,
        "baud": 3_000_000, "cores": {"ising": {"size": 32, "lanes": 16, "k": 16,
                                               "algorithms": ["metropolis", "heatbath"],
                                               "rng": "xoroshiro64+", "sums": False,
                                               "replicas": 1, "couplings": False}}}


@pytest.mark.parametrize("raw", [b"not json", b"[]", b'{"design": "x"}',
                                 b'{"design": "x", "clock_hz": 1, "cores": {"ising": {}}}'])
def test_a_broken_identity_text_is_refused_clearly(raw):
    with pytest.raises(IdentityError, match="not a bitspin device identity"):
        DeviceIdentity.from_json(raw)
