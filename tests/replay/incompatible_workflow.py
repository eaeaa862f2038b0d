"""A deliberately incompatible edit of IncidentWorkflow, for the negative replay test.

Same workflow type name, but it takes the first steps one activity at a time again (registration,
then the known-error check) where its history has them in one activity: exactly the kind of change
that breaks every incident already running.
"""

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.commands import IncidentResult, OpenIncident
    from workflows.incident import IncidentWorkflow


@workflow.defn(name="IncidentWorkflow")
class IncidentWorkflowWithStepsOneByOne(IncidentWorkflow):
    @workflow.run
    async def run(self, request: OpenIncident) -> IncidentResult:
        return await super().run(request)

    async def _first_steps(self, category_hint: str | None) -> bool:
        if not await self._register():
            return False
        await self._categorize(category_hint)
        return True
