"""The receiver's published contract (OpenAPI 3.1), served at GET /openapi.json.

Request bodies are generated from the pydantic models of payloads.py; answers follow refusals.py.
A test checks that every route the app serves is described here, and `make test` runs
schemathesis against this document and the running receiver (tests/e2e/test_receiver_openapi.py).
"""

from typing import Any

from receiver.releases.payloads import ChangeEvent, KnownErrorRelease
from starter.intake.payloads import AlertmanagerWebhook, PagerDutyEvent

_LABELS = {"type": "object", "additionalProperties": {"type": "string"}}
_ERROR = {
    "type": "object",
    "required": ["status", "message"],
    "properties": {"status": {"type": "string"}, "message": {"type": "string"}},
}
_FIELD_ERRORS = {
    "type": "object",
    "required": ["status", "message", "errors"],
    "properties": {
        "status": {"type": "string", "example": "invalid event"},
        "message": {"type": "string", "example": "Event object is invalid"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["loc", "msg"],
                "properties": {
                    "loc": {
                        "type": "array",
                        "items": {"type": ["string", "integer"]},
                        "description": 'path to the field, e.g. ["alerts", 0, "fingerprint"]',
                    },
                    "msg": {"type": "string"},
                    "type": {"type": "string"},
                },
            },
        },
    },
}


def _json(schema: dict[str, Any], description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    answer: dict[str, Any] = {"description": description, "content": {"application/json": {"schema": schema}}}
    if headers:
        answer["headers"] = headers
    return answer


_REFUSALS = {
    "400": _json(
        _FIELD_ERRORS,
        "Malformed body: the list says which fields and why. Do not retry. Besides the"
        " schema: UTF-8 JSON only, at most 64 levels deep, no NaN/Infinity, no NUL or unpaired surrogate"
        " in any string, and a Content-Encoding that decodes.",
    ),
    "401": _json(_ERROR, "Missing or invalid credential. Do not retry."),
    "413": _json(_ERROR, "Body larger than 512 KB."),
    "415": _json(_ERROR, "The body is not declared JSON: send Content-Type: application/json."),
    "422": _json(_ERROR, "Service outside the agreed catalog. The event is recorded in rejected_events."),
    "503": _json(
        _ERROR,
        "Postgres (the inbox, or the catalog) cannot take the event now; nothing was stored. Retry.",
        {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds"}},
    ),
}

REF = "#/components/schemas/{model}"
_PUBLISHED = {
    "type": "object",
    "required": ["status", "release", "known_errors"],
    "properties": {
        "status": {"type": "string", "example": "success"},
        "release": {"type": "string"},
        "known_errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "id": {"type": "string", "description": "the pipeline's id, as sent"},
                    "known_error": {"type": "string", "example": "KE-1000"},
                    "created": {"type": "boolean", "description": "false: published before, unchanged"},
                },
            },
        },
    },
}


def request_schemas() -> dict[str, Any]:
    """The request bodies, from the very models the server validates with (payloads.py), so the
    published limits (lengths, enums, formats, required-when rules) cannot drift from the enforced ones."""
    schemas: dict[str, Any] = {}
    for model in (AlertmanagerWebhook, PagerDutyEvent, ChangeEvent, KnownErrorRelease):
        schema = model.model_json_schema(ref_template=REF)
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    return schemas


OPENAPI_DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "Incident pipeline alert receiver",
        "version": "1",
        "description": "Alert sources open and feed incidents here. A 2xx means the event is durably "
        "stored (committed to the receiver's Postgres inbox, from which it reaches its incident workflow in "
        "arrival order, retried until Temporal takes it); a 503 means nothing was stored and the sender should "
        "retry. Repeated deliveries never create a second incident.",
    },
    "components": {
        "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer", "description": "INCIDENT_INGEST_TOKEN"},
            "release": {"type": "http", "scheme": "bearer", "description": "INCIDENT_RELEASE_TOKEN"},
        },
        "schemas": request_schemas(),
    },
    "paths": {
        "/v1/alerts/alertmanager": {
            "post": {
                "summary": "Prometheus Alertmanager webhook (webhook_configs, payload version 4)",
                "security": [{"bearer": []}],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": REF.format(model="AlertmanagerWebhook")}}},
                },
                "responses": {
                    "202": _json(
                        {
                            "type": "object",
                            "properties": {
                                "status": {"type": "string", "example": "success"},
                                "message": {"type": "string"},
                                "route": {
                                    "type": "string",
                                    "description": "the alert group: its deliveries feed one incident at a time",
                                },
                                "alerts": {"type": "integer"},
                                "result": {
                                    "type": "string",
                                    "enum": ["queued"],
                                    "description": "committed to the inbox; the forwarder takes it to Temporal",
                                },
                            },
                        },
                        "Durably stored; it reaches the incident workflow in arrival order.",
                    ),
                    **_REFUSALS,
                },
            }
        },
        "/v2/enqueue": {
            "post": {
                "summary": "PagerDuty Events API v2 compatible (Alertmanager pagerduty_configs, Grafana, Zabbix...)",
                "security": [],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": REF.format(model="PagerDutyEvent")}}},
                },
                "responses": {
                    "202": _json(
                        {
                            "type": "object",
                            "properties": {
                                "status": {"type": "string", "example": "success"},
                                "message": {"type": "string", "example": "Event processed"},
                                "dedup_key": {"type": "string"},
                            },
                        },
                        "Durably stored (an acknowledge/resolve with no open incident for its key then changes nothing).",
                    ),
                    **_REFUSALS,
                },
            }
        },
        "/v2/change/enqueue": {
            "post": {
                "summary": "PagerDuty Change Events API v2 compatible: a deploy or other change to a service",
                "security": [],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": REF.format(model="ChangeEvent")}}},
                },
                "responses": {
                    "202": _json(
                        {
                            "type": "object",
                            "properties": {
                                "status": {"type": "string", "example": "success"},
                                "message": {"type": "string", "example": "Change event processed"},
                            },
                        },
                        "Stored; shown on the incidents of the service logged within its change window.",
                    ),
                    **{code: _REFUSALS[code] for code in ("400", "401", "413", "415", "503")},
                },
            }
        },
        "/v1/known-errors": {
            "post": {
                "summary": "The known errors of a release: matching events end as known_error, not incidents",
                "security": [{"release": []}],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": REF.format(model="KnownErrorRelease")}}},
                },
                "responses": {
                    "201": _json(_PUBLISHED, "Stored (some new); offered to the open incidents each matches."),
                    "200": _json(_PUBLISHED, "This release had published every one already: nothing changed."),
                    **{code: _REFUSALS[code] for code in ("400", "401", "413", "415")},
                    "503": _json(_ERROR, "Postgres or Temporal cannot take it now; publish again (idempotent)."),
                },
            }
        },
        "/healthz": {"get": {"summary": "The process is up", "responses": {"200": {"description": "up"}}}},
        "/readyz": {
            "get": {
                "summary": "Temporal and Postgres both answer",
                "responses": {"200": {"description": "ready"}, "503": {"description": "`failed` names which"}},
            }
        },
        "/metrics": {
            "get": {
                "summary": "Prometheus metrics",
                "responses": {
                    "200": {
                        "description": "text format 0.0.4",
                        "content": {"text/plain": {"schema": {"type": "string"}}},
                    }
                },
            }
        },
        "/v1/pages/{token}": {
            "get": {
                "summary": "An acknowledgement link of a page: a page with one button (fetching it acknowledges nothing)",
                "parameters": [{"name": "token", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {
                    "200": {"description": "the confirmation page", "content": {"text/html": {}}},
                    "403": _json(_ERROR, "Not a valid link, or expired."),
                },
            }
        },
        "/v1/pages/{token}/ack": {
            "get": {
                "summary": "The link a page carries, as clicked: a page with one button (GET and HEAD acknowledge nothing)",
                "parameters": [{"name": "token", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {
                    "200": {"description": "the confirmation page", "content": {"text/html": {}}},
                    "403": _json(_ERROR, "Not a valid link, or expired."),
                },
            },
            "post": {
                "summary": "Acknowledge a page: the paged person takes the incident and the paging stops",
                "parameters": [{"name": "token", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {
                    "200": _json(_ERROR, "Acknowledged; the actor recorded is the paged person."),
                    "403": _json(_ERROR, "Not a valid link, expired, or used already: nothing acknowledged."),
                    "409": _json(_ERROR, "Nothing to acknowledge any more (e.g. someone else took it)."),
                    "503": _json(_ERROR, "Postgres or Temporal cannot take it now; the link works again later."),
                },
            },
        },
        "/v1/oncall/{schedule}.ics": {
            "get": {
                "summary": "A schedule's shifts as iCalendar (a week back, 120 days ahead), to subscribe to",
                "parameters": [{"name": "schedule", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {
                    "200": {"description": "text/calendar", "content": {"text/calendar": {}}},
                    "404": {"description": "no such schedule"},
                },
            }
        },
        "/status": {
            "get": {
                "summary": "The public status page (HTML, refreshed in place; readable without JavaScript)",
                "responses": {"200": {"description": "text/html", "content": {"text/html": {}}}},
            }
        },
        "/status/board": {
            "get": {
                "summary": "The part of the status page that changes (HTML), fetched by the page",
                "responses": {"200": {"description": "text/html", "content": {"text/html": {}}}},
            }
        },
        "/status/feed.atom": {
            "get": {
                "summary": "Public updates as an Atom feed",
                "responses": {"200": {"description": "application/atom+xml", "content": {"application/atom+xml": {}}}},
            }
        },
        "/status/api/v2/{document}": {
            "get": {
                "summary": "Atlassian Statuspage API v2: summary.json, status.json, components.json, incidents.json,"
                " incidents/unresolved.json, scheduled-maintenances.json",
                "parameters": [{"name": "document", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {
                    "200": {"description": "the document", "content": {"application/json": {}}},
                    "404": {"description": "no such document"},
                },
            }
        },
        "/api/v2/{document}": {
            "get": {
                "summary": "The same Statuspage documents at the host's root, where Statuspage readers look for them",
                "parameters": [{"name": "document", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {
                    "200": {"description": "the document", "content": {"application/json": {}}},
                    "404": {"description": "no such document"},
                },
            }
        },
        "/openapi.json": {"get": {"summary": "This document", "responses": {"200": {"description": "OpenAPI 3.1"}}}},
    },
}
