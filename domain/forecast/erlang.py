"""Erlang C: the probability that an arrival waits, and the mean wait, in an M/M/c queue. The engine is
checked against it (tests/forecast/test_against_theory.py)."""

import math


def erlang_c(servers: int, arrival_rate: float, service_rate: float) -> float:
    load = arrival_rate / service_rate  # offered load in erlangs
    if load >= servers:
        raise ValueError(f"unstable: offered load {load:.2f} >= {servers} servers")
    top = load**servers / math.factorial(servers) * servers / (servers - load)
    return top / (sum(load**k / math.factorial(k) for k in range(servers)) + top)


def mean_wait(servers: int, arrival_rate: float, service_rate: float) -> float:
    return erlang_c(servers, arrival_rate, service_rate) / (servers * service_rate - arrival_rate)
