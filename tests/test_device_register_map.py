"""docs/device.md's register table is the register map of the device it describes, word for word."""

from pathlib import Path

from bitspin.hw.device.soc import DeviceCore
from bitspin.hw.ising.params import IsingParams
from bitspin.sw.gan.engine_configs import engine_image

DOC = Path(__file__).resolve().parent.parent / "docs" / "device.md"


def test_the_documented_register_table_is_the_register_map():
    core = DeviceCore(12_000_000, ising=IsingParams(32, 16), gan_image=engine_image("ulx3s"),
                      revision="doc")
    table = core.identity.register_map().markdown()
    lines = DOC.read_text().splitlines()
    start = lines.index("| register | address | access | meaning |")
    end = next(i for i in range(start, len(lines)) if not lines[i].startswith("|"))
    documented = "\n".join(lines[start:end])
    assert documented == table, (
        "docs/device.md's register table differs from the map; replace it with:\n" + table)
