"""KnownErrorLinks: one run per known error published (workflow id `known-error-KE-1000`), so the
auditor sees in the Web UI which open incidents it was offered to. Durable: a publisher that only
commits the known error and starts this has nothing left to lose."""

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.known_error_links import KnownErrorLinkActivities
    from domain.commands import KnownErrorOffer
    from workflows.contract import IncidentContract
    from workflows.timeouts import DATABASE_RETRY, DATABASE_TIMEOUT


@workflow.defn
class KnownErrorLinks:
    @workflow.run
    async def run(self, known_error_id: str) -> list[str]:
        """The numbers of the open incidents offered the known error's workaround."""
        found = await workflow.execute_activity_method(
            KnownErrorLinkActivities.open_incidents_matching,
            known_error_id,
            start_to_close_timeout=DATABASE_TIMEOUT,
            retry_policy=DATABASE_RETRY,
            summary=f"open incidents matching {known_error_id}",
        )
        if found.known_error is None:
            workflow.set_current_details(f"{known_error_id} was retired before it could be linked")
            return []
        offered = []
        for incident in found.incidents:
            try:
                await workflow.get_external_workflow_handle_for(IncidentContract.run, incident.workflow_id).signal(
                    IncidentContract.known_error_published, KnownErrorOffer(known_error=found.known_error)
                )
            except ApplicationError:  # closed since it was read: nothing to offer
                continue
            offered.append(incident.number)
        workflow.set_current_details(
            f"**{known_error_id}** ({found.known_error.title}) offered to " + (", ".join(offered) or "no open incident")
        )
        return offered
