"""boards/gan_component_cost.py: the parts it synthesises, and its refusal of bad shapes."""

import pytest

from bitspin.boards.gan_component_cost import gan_parts, main
from bitspin.hw.gan.plan import EngineParams


def test_both_mappings_of_both_datapaths_are_listed():
    parts = gan_parts(EngineParams(4, 16))
    assert sorted(parts) == sorted(f"{kind} ({mapping})" for kind in ("binary lanes",
                                   "integer lane") for mapping in ("hand-mapped", "Yosys"))
    assert parts["binary lanes (Yosys)"][1] == 64 and parts["integer lane (Yosys)"][1] == 16
    assert not parts["binary lanes (Yosys)"][0].hand_mapped


def test_a_bad_shape_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--lanes", "3"])
    assert exit_.value.code == 2
    assert "lanes must be a power of two" in capsys.readouterr().err
