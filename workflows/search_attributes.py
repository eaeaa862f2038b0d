"""The custom search attributes: declared here once, for the workflow's upserts, `make run`'s dev
server, the time-skipping test server, `python -m runtime.register_search_attributes` (which the
compose file runs too) and the auditors' queries in the README (DESIGN section 5).

Imports only temporalio, so the starters can read it without the workflow.
"""

from temporalio.common import SearchAttributeKey

INCIDENT_NUMBER = SearchAttributeKey.for_keyword("IncidentNumber")
INCIDENT_STATE = SearchAttributeKey.for_keyword("IncidentState")
INCIDENT_PRIORITY = SearchAttributeKey.for_keyword("IncidentPriority")
INCIDENT_SERVICE = SearchAttributeKey.for_keyword("IncidentService")
INCIDENT_CATEGORY = SearchAttributeKey.for_keyword("IncidentCategory")
INCIDENT_GROUP = SearchAttributeKey.for_keyword("IncidentGroup")
INCIDENT_ASSIGNEE = SearchAttributeKey.for_keyword("IncidentAssignee")
INCIDENT_SOURCE = SearchAttributeKey.for_keyword("IncidentSource")
# everyone who acknowledged, was assigned, escalated or acted: "who handled them"
INCIDENT_RESPONDERS = SearchAttributeKey.for_keyword_list("IncidentResponders")
SLA_BREACHED = SearchAttributeKey.for_bool("SlaBreached")
MAJOR_INCIDENT = SearchAttributeKey.for_bool("MajorIncident")
RESTORE_DEADLINE = SearchAttributeKey.for_datetime("RestoreDeadline")
# the release of the workflow code its current run began on (workflows/releases.py)
INCIDENT_RELEASE = SearchAttributeKey.for_keyword("IncidentRelease")

ALL_KEYS = (
    INCIDENT_NUMBER, INCIDENT_STATE, INCIDENT_PRIORITY, INCIDENT_SERVICE, INCIDENT_CATEGORY, INCIDENT_GROUP,
    INCIDENT_ASSIGNEE, INCIDENT_SOURCE, INCIDENT_RESPONDERS, SLA_BREACHED, MAJOR_INCIDENT, RESTORE_DEADLINE,
    INCIDENT_RELEASE,
)  # fmt: skip


def type_name(key: SearchAttributeKey) -> str:  # type: ignore[type-arg]
    """As the `temporal` CLI spells it: Keyword, KeywordList, Bool, Datetime."""
    return "".join(part.capitalize() for part in key.indexed_value_type.name.split("_"))


# name -> type, in declaration order
SEARCH_ATTRIBUTES: dict[str, str] = {key.name: type_name(key) for key in ALL_KEYS}
