"""How every program here turns values into Temporal payloads and back: JSON through pydantic, the
same bytes as temporalio.contrib.pydantic's converter, with what converting costs paid once per process.

The SDK makes a new payload converter for every workflow run and for most workflow tasks it
completes. The stock pydantic converter keeps its type adapters (one validator per type hint) and its
serializer inside each instance, so every incident built the same adapters again: about ten per
lifecycle, and a new serializer for every new converter (make bench B1, profiled: about 1.8 ms of the
worker's CPU per incident). Here one converter does the JSON for the whole process and its adapters
are built once per type.
"""

import functools
from typing import Any

from pydantic import TypeAdapter
from pydantic_core import to_json
from temporalio.api.common.v1 import Payload
from temporalio.converter import (
    CompositePayloadConverter,
    DataConverter,
    DefaultPayloadConverter,
    EncodingPayloadConverter,
    JSONPlainPayloadConverter,
)

ADAPTERS_KEPT = 1024  # type hints: the workflow's and activities' few dozen, with room to spare


@functools.lru_cache(maxsize=ADAPTERS_KEPT)
def _adapter(type_hint: Any) -> TypeAdapter[Any]:
    return TypeAdapter(type_hint)


class SharedPydanticJSON(EncodingPayloadConverter):
    """json/plain by pydantic: any value out, the hinted type in. Holds nothing of its own."""

    @property
    def encoding(self) -> str:
        return "json/plain"

    def to_payload(self, value: Any) -> Payload | None:
        return Payload(metadata={"encoding": b"json/plain"}, data=to_json(value))

    def from_payload(self, payload: Payload, type_hint: type | None = None) -> Any:
        hint: Any = Any if type_hint is None else type_hint
        try:
            adapter = _adapter(hint)
        except TypeError:  # an unhashable hint cannot be a cache key: built for this payload only
            try:
                hash(hint)
            except TypeError:
                adapter = TypeAdapter(hint)
            else:
                raise  # hashable: the adapter itself could not be built
        return adapter.validate_json(payload.data)


# The SDK's default encodings, with JSON by the shared pydantic converter: chosen once, not per instance.
_ENCODINGS = tuple(
    SharedPydanticJSON() if isinstance(converter, JSONPlainPayloadConverter) else converter
    for converter in DefaultPayloadConverter.default_encoding_payload_converters
)


class IncidentPayloadConverter(CompositePayloadConverter):
    def __init__(self) -> None:
        super().__init__(*_ENCODINGS)


incident_data_converter = DataConverter(payload_converter_class=IncidentPayloadConverter)
