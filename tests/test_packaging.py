"""Packaging: one ``bitspin`` namespace in site-packages, every package listed, package data shipped."""

from __future__ import annotations

import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FOLDERS = ("hw", "sw", "sim", "boards")


def _pyproject() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text())


def test_every_package_folder_is_listed_under_the_bitspin_namespace():
    setuptools = _pyproject()["tool"]["setuptools"]
    assert setuptools["package-dir"] == {f"bitspin.{f}": f for f in FOLDERS}
    on_disk = sorted("bitspin." + str(init.parent.relative_to(REPO)).replace("/", ".")
                     for folder in FOLDERS for init in (REPO / folder).rglob("__init__.py"))
    assert sorted(setuptools["packages"]) == on_disk


def test_the_repository_folders_are_not_importable_by_their_own_names(tmp_path):
    script = ("import importlib, bitspin.sw.cli.main\n"
              "for name in ('hw', 'sw', 'sim', 'boards'):\n"
              "    try:\n"
              "        importlib.import_module(name)\n"
              "    except ImportError:\n"
              "        continue\n"
              "    raise SystemExit(f'{name} is importable')\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.slow
def test_the_wheel_holds_only_the_bitspin_namespace_and_its_data(tmp_path):
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                           "-q", "-w", str(tmp_path), str(REPO)], capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    (wheel,) = tmp_path.glob("bitspin-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/")[0] for name in names}
    assert len(tops) == 2 and "bitspin" in tops
    assert (tops - {"bitspin"}).pop().endswith(".dist-info")
    assert "bitspin/sim/virtual_board/harness.cpp" in names
    assert "bitspin/sim/virtual_board/uart_line.h" in names
    assert any(n.startswith("bitspin/sw/gan/models/") and n.endswith(".npz") for n in names)
    assert not any(n.startswith("bitspin/__init__") for n in names)
