"""The incident process as pure rules: models, priority, lifecycle, SLA math.

Nothing in this package reads a clock, a file, the network or the environment:
time is always a parameter, so the same rules run inside a Temporal workflow,
in the CLI and in tests.
"""
