"""``bitspin flash`` with no board attached: a clear error, never a traceback."""

import pytest

from bitspin.boards.flash import FlashFailure, flash
from bitspin.sw.cli.main import main


def test_no_board_attached_is_a_clear_error(tmp_path):
    bitstream = tmp_path / "top.bit"
    bitstream.write_bytes(b"\xff" * 64)
    with pytest.raises(FlashFailure, match="no Radiona ULX3S.*found.*udev"):
        flash("ulx3s-85f", bitstream)


def test_cli_reports_it_in_one_line(tmp_path, capsys):
    bitstream = tmp_path / "top.bin"
    bitstream.write_bytes(b"\xff" * 64)
    assert main(["flash", "--board", "icebreaker", "--bitstream", str(bitstream)]) == 1
    err = capsys.readouterr().err
    assert "error:" in err and "Traceback" not in err


@pytest.mark.parametrize("name,problem", [("missing.bit", "not found"),
                                          ("top.bin", "takes a .bit")])
def test_bad_bitstreams_are_refused(tmp_path, name, problem):
    if name != "missing.bit":
        (tmp_path / name).write_bytes(b"\x00")
    with pytest.raises((FileNotFoundError, ValueError), match=problem):
        flash("ulx3s-85f", tmp_path / name)
