"""GanConfig: presets, JSON round trip, validation."""

import pytest

from bitspin.hw.gan.architecture import PRESETS, GanConfig, preset


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_presets_make_28x28(name):
    config = preset(name)
    assert config.image_side == 28
    assert GanConfig.from_dict(config.to_dict()) == config


def test_default_follows_the_paper():
    c = GanConfig()
    assert (c.z_dim, c.n_classes, c.fc_widths, c.fc_out) == (100, 10, (600, 600, 600), 3136)
    assert c.last_weight_max == 31


@pytest.mark.parametrize("kwargs", [dict(z_dim=0), dict(kernel=5, padding=5),
                                    dict(stride=2, output_padding=2), dict(last_weight_bits=1),
                                    dict(fc_widths=(0,)), dict(base=1, kernel=3, padding=2,
                                                               output_padding=0, stride=1)])
def test_bad_configs(kwargs):
    with pytest.raises(ValueError):
        GanConfig(**kwargs)


def test_from_dict_rejects_bad_types():
    for bad in ({"z_dim": 1.5}, {"fc_widths": [1, "2"]}, {"nope": 1}, [1, 2], {"z_dim": True}):
        with pytest.raises(ValueError):
            GanConfig.from_dict(bad)
    with pytest.raises(ValueError):
        preset("huge")
