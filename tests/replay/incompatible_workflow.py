"""A deliberately incompatible edit of IncidentWorkflow, for the negative replay test.

Same workflow type name, but it skips the known-error check (one activity fewer):
exactly the kind of change that breaks every incident already running.
"""

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain import process
    from domain.commands import IncidentResult, OpenIncident
    from workflows.incident import IncidentWorkflow


@workflow.defn(name="IncidentWorkflow")
class IncidentWorkflowWithoutKnownErrorCheck(IncidentWorkflow):
    @workflow.run
    async def run(self, request: OpenIncident) -> IncidentResult:
        return await super().run(request)

    async def _categorize(self, hint: str | None) -> None:
        assert self.incident.agreement is not None
        category = process.choose_category(self.incident.agreement, self.incident.summary, hint)
        process.categorize(self.incident, category, workflow.now())
        self._changed()
