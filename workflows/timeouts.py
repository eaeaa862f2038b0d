"""How long the workflows' Postgres activities may take and how they are retried (one place for all)."""

from datetime import timedelta

from temporalio.common import RetryPolicy

# Postgres may be down for a while (maintenance, failover): keep retrying, never give up on a record.
DATABASE_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1), backoff_coefficient=2.0, maximum_interval=timedelta(seconds=30)
)
DATABASE_TIMEOUT = timedelta(seconds=10)  # one short transaction; a crashed worker's attempt is retried this soon
