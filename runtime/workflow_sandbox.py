"""The SDK's workflow sandbox without a cost that buys nothing when payloads have no codec.

Before and after every workflow task the SDK visits each payload three times (codec, external
storage, references) and, for every visit, asks the workflow's sandbox which serialization
context the payload's command has: each ask runs a snippet of code inside the sandbox, with its
import hooks applied. The context only reaches a payload codec or external storage; a data
converter with neither (ours: pydantic JSON) does nothing with it. CodecFreeSandbox answers those
asks outside the sandbox ("no context"), so the converter takes its context-free path; everything
the workflow runs still runs in the sandbox. With a codec or external storage configured the
plain sandbox is used (`fits`).
"""

from collections.abc import Sequence
from typing import Any

from temporalio.bridge.proto.workflow_activation import WorkflowActivation
from temporalio.bridge.proto.workflow_completion import WorkflowActivationCompletion
from temporalio.converter import DataConverter, StorageDriverStoreContext
from temporalio.worker import WorkflowInstance, WorkflowInstanceDetails, WorkflowRunner
from temporalio.workflow import Info


class CodecFreeSandbox(WorkflowRunner):
    def __init__(self, sandbox: WorkflowRunner) -> None:
        self.sandbox = sandbox

    @staticmethod
    def fits(converter: DataConverter) -> bool:
        return converter.payload_codec is None and converter.external_storage is None

    def prepare_workflow(self, defn: Any) -> None:
        self.sandbox.prepare_workflow(defn)

    def create_instance(self, det: WorkflowInstanceDetails) -> WorkflowInstance:
        return _ContextFree(self.sandbox.create_instance(det))

    def set_worker_level_failure_exception_types(self, types: Sequence[type[BaseException]]) -> None:
        self.sandbox.set_worker_level_failure_exception_types(types)


class _ContextFree(WorkflowInstance):
    def __init__(self, sandboxed: WorkflowInstance) -> None:
        self.sandboxed = sandboxed

    def activate(self, act: WorkflowActivation) -> WorkflowActivationCompletion:
        return self.sandboxed.activate(act)

    def get_serialization_context(self, command_info: Any) -> None:
        return None  # the context-free converter: without a codec, the same bytes

    def get_external_store_context(self, command_info: Any) -> StorageDriverStoreContext:
        return StorageDriverStoreContext(target=None)  # read by external storage only, which `fits` rules out

    def get_info(self) -> Info:
        return self.sandboxed.get_info()

    def get_thread_id(self) -> int | None:
        return self.sandboxed.get_thread_id()
