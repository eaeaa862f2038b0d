"""The engineers' API (`python -m api`): every incidentctl command and read as JSON under /v1, authenticated,
with its OpenAPI document generated from the same pydantic models (GET /v1/openapi.json)."""
