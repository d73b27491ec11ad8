"""Developer scripts: the demo, the benchmarks and the release helpers."""
