"""Benchmark suite: ``python -m bench [--only NAME ...] [--out FILE]`` writes one JSON report."""
