"""Benchmarks: each script prints its figures and a ratio against a baseline run in the same invocation."""
