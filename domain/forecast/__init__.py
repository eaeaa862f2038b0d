"""What-if: forecast SLA compliance and on-call load by running the real rules over simulated months.

scenario.py   the inputs (TOML or fitted from the record) and the changes to try
classes.py    what the domain says of one class of incident (service x priority x category), asked once each
engine.py     the discrete-event simulation of one replication (an event heap, standard library)
queue.py      who takes an incident and when: the groups' queues, functional escalation between them
fit.py        a scenario fitted from the record (rates, durations, category mix, the pickups)
report.py     replications -> compliance with intervals, breaches per month, pages per person, hours
erlang.py     Erlang C, the theory the engine is checked against
"""
