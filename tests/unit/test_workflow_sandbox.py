"""worker.workflow_runner: the sandbox answers payload-context questions outside itself only when the
data converter has no codec and no external storage, the only readers of that context."""

import dataclasses
from collections.abc import Sequence

from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from runtime.payloads import incident_data_converter
from runtime.workflow_sandbox import CodecFreeSandbox
from worker import PASSTHROUGH_MODULES, workflow_runner


class Reversing(PayloadCodec):
    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [Payload(metadata=p.metadata, data=p.data[::-1]) for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [Payload(metadata=p.metadata, data=p.data[::-1]) for p in payloads]


def test_without_a_codec_the_worker_asks_the_sandbox_for_no_payload_context():
    runner = workflow_runner(incident_data_converter)
    assert isinstance(runner, CodecFreeSandbox)
    assert isinstance(runner.sandbox, SandboxedWorkflowRunner)
    assert set(PASSTHROUGH_MODULES) <= runner.sandbox.restrictions.passthrough_modules


def test_with_a_codec_the_worker_keeps_the_sandbox_that_gives_each_payload_its_context():
    converter = dataclasses.replace(incident_data_converter, payload_codec=Reversing())
    runner = workflow_runner(converter)
    assert isinstance(runner, SandboxedWorkflowRunner)
