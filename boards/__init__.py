"""Board definitions, bitstream builds through the YoWASP tools, report parsing and flashing."""

from .build import BuildFailure, BuildResult, build_for_board, synthesise_for_board
from .catalog import BOARDS, Board, board_by_name
from .report import BuildReport, parse_nextpnr_report

__all__ = ["build_for_board", "synthesise_for_board", "BuildResult", "BuildFailure", "BOARDS", "Board", "board_by_name",
           "BuildReport", "parse_nextpnr_report"]
