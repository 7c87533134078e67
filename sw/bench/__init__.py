"""Benchmarks: the same workload on every backend, figures printed and written as JSON."""
