"""A time-skipping Temporal test server with a worker on its own task queue.

Used by the `skipping` fixture (one per test) and by the replay history recorder
(tests/replay/record_histories.py), so both drive the same worker as production.
"""

import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.testing import WorkflowEnvironment

from activities.paging import PagingSettings
from runtime.payloads import incident_data_converter
from runtime.register_search_attributes import type_value
from worker import build_worker
from workflows.search_attributes import SEARCH_ATTRIBUTES

TEST_SERVER = Path(sys.executable).parent / "temporal-test-server"


class SkippingEnv:
    def __init__(self, env: WorkflowEnvironment, task_queue: str, pool: asyncpg.Pool) -> None:
        self.env = env
        self.client = env.client
        self.task_queue = task_queue
        self.pool = pool  # the worker's; starters reserve incident numbers from it


@asynccontextmanager
async def skipping_environment(pool: asyncpg.Pool, paging: PagingSettings | None = None) -> AsyncIterator[SkippingEnv]:
    """`paging`: how the worker's pages are sent (default: no SMTP server, pages recorded as no-smtp)."""
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=incident_data_converter, test_server_existing_path=str(TEST_SERVER)
    )
    try:
        # unregistered custom search attributes make the test server stall the workflow
        await env.client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=env.client.namespace,
                                       search_attributes={n: type_value(t) for n, t in SEARCH_ATTRIBUTES.items()})
        )  # fmt: skip
        task_queue = f"incidents-{uuid.uuid4().hex[:8]}"
        async with build_worker(env.client, pool, task_queue, paging):
            yield SkippingEnv(env, task_queue, pool)
    finally:
        await env.shutdown()
