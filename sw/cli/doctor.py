"""``bitspin doctor``: is every tool of the flow present, which version, where, and how to fix it."""

from __future__ import annotations

import json

from rich.console import Console
from rich.table import Table

from bitspin.hw import toolchain


def add_parser(sub):
    parser = sub.add_parser("doctor", help="check that every tool of the FPGA flow is installed")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(run=run)


def run(args) -> int:
    tools = toolchain.find_tools()
    all_found = all(tool.found for tool in tools)
    if args.json:
        print(json.dumps({"tools": [tool.as_dict() for tool in tools], "all_found": all_found,
                          "yowasp_cache": str(toolchain.yowasp_cache_dir())}, indent=2))
        return 0 if all_found else 1
    table = Table(title="bitspin toolchain")
    for column in ("tool", "found", "version", "where", "fix"):
        table.add_column(column, overflow="fold")
    for tool in tools:
        table.add_row(tool.name, "[green]yes[/green]" if tool.found else "[red]no[/red]",
                      tool.version or "", tool.path or "", tool.fix or "")
    console = Console()
    console.print(table)
    console.print(f"YoWASP cache: {toolchain.yowasp_cache_dir()}")
    console.print("[green]all tools found[/green]" if all_found else
                  "[red]some tools are missing: see the fix column[/red]")
    return 0 if all_found else 1
