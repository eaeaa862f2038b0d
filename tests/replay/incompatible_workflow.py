"""A deliberately incompatible edit of IncidentWorkflow, for the negative replay test.

Same workflow type name, but it waits a moment before its first steps: a timer command where its
history has the registration activity, exactly the kind of unguarded change that breaks every
incident already running.
"""

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.commands import IncidentResult, OpenIncident
    from workflows.incident import IncidentWorkflow


@workflow.defn(name="IncidentWorkflow")
class IncidentWorkflowThatWaitsFirst(IncidentWorkflow):
    @workflow.run
    async def run(self, request: OpenIncident) -> IncidentResult:
        await workflow.sleep(timedelta(seconds=1))
        return await super().run(request)
