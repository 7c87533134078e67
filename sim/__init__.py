"""Simulation: any Amaranth component under Verilator or Icarus through cocotb, and the virtual board."""

from .simulate import SimulationFailure, SimulationResult, simulate, SIMULATORS

__all__ = ["simulate", "SimulationResult", "SimulationFailure", "SIMULATORS"]
