"""The host's refusals for a device whose lanes cannot run a job (``IsingSampler.check_rule``):
no heat-bath on a Metropolis-only core, no h ≠ 0 on metropolis-h0 lanes. The identity's
``lane_rule`` key round-trips, and is absent for the default rule."""

import pytest

from bitspin.hw.device.identity import DeviceIdentity
from bitspin.hw.ising.params import IsingParams
from bitspin.sw.device.errors import IdentityMismatch
from bitspin.sw.device.ising_sampler import IsingSampler


class _IdentityOnly:
    """A device that only tells its identity (the check reads nothing else)."""

    url = "stub://"

    def __init__(self, params):
        self.params = params

    def core(self, name):
        return self.params


H0 = IsingParams(16, 8, algorithms=("metropolis",), lane_rule="metropolis-h0")


def test_metropolis_h0_lanes_refuse_a_field_and_heat_bath():
    sampler = IsingSampler(_IdentityOnly(H0))
    sampler.check_rule("metropolis", 0.0)
    with pytest.raises(IdentityMismatch, match="h = 0.25"):
        sampler.check_rule("metropolis", 0.25)
    with pytest.raises(IdentityMismatch, match="without heatbath"):
        sampler.check_rule("heatbath", 0.0)


def test_table_lanes_run_any_field():
    IsingSampler(_IdentityOnly(IsingParams(16, 8))).check_rule("heatbath", -0.5)


def test_identity_carries_the_lane_rule():
    for params in (H0, IsingParams(16, 8)):
        identity = DeviceIdentity("ising", 12_000_000, 115200, ising=params)
        assert DeviceIdentity.from_json(identity.to_json()).ising == params
    assert b"lane_rule" not in DeviceIdentity("ising", 1, None, ising=IsingParams(16, 8)).to_json()
