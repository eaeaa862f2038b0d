"""Every side effect of the incident process: Postgres writes and notifications.

Activities take an injected asyncpg pool and are idempotent: each write is keyed
by the incident and the timeline step, so a retry changes nothing twice.
"""
