"""make bench: benchmarks against a bare-Temporal floor measured in the same run (DESIGN section 7)."""
