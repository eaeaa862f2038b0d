"""A known error published while incidents are open (incidentctl known-error add, POST /v1/known-errors):
the KnownErrorLinks workflow signals each open incident it matches, and the incident offers the
workaround. A signal, not an update: the publisher must not wait on every incident's worker."""

from collections.abc import Callable

from pydantic import BaseModel
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain import process
    from domain.catalog import KnownError
    from domain.incident import Incident


class KnownErrorOffer(BaseModel):
    known_error: KnownError


class KnownErrorOffers:
    """Mixed into IncidentWorkflow, which owns `incident` and `_changed()`."""

    incident: Incident
    _changed: Callable[[], None]

    @workflow.signal
    def known_error_published(self, offer: KnownErrorOffer) -> None:
        # matched again here, on the incident as it is now: the publisher read the record a moment ago
        if process.offer_known_error(self.incident, offer.known_error, workflow.now()):
            self._changed()
