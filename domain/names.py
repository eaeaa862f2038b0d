"""Names: the incident number's form, who among a timeline's actors is a person, and refusing an
unknown name the way a person wants to read it (what is valid, and what was meant). Stdlib only:
incidentctl imports it before anything heavy."""

import re
from collections.abc import Iterable
from difflib import get_close_matches

INCIDENT_PREFIX = "INC-"
INCIDENT_NUMBER = rf"^{INCIDENT_PREFIX}\d+$"  # what a number is (reserved at intake; the workflow id)
_TYPED_NUMBER = re.compile(INCIDENT_NUMBER, re.IGNORECASE)


def incident_number(name: str) -> str | None:
    """The number a person typed, in its own form ("inc-7" -> "INC-7"), or None for anything else."""
    return name.upper() if _TYPED_NUMBER.match(name) else None


# Actors of a timeline that are nobody's name: the workflow itself and the alert integrations.
NOT_PEOPLE = frozenset({"system", "alertmanager", "events_api"})


def responders(actors: Iterable[str]) -> list[str]:
    """The people among `actors`, once each, in the order they first appear (IncidentResponders)."""
    return list(dict.fromkeys(a for a in actors if a and a not in NOT_PEOPLE))


def closest(name: str, known: Iterable[str]) -> str | None:
    """The known name `name` most likely means (a typo, a missing dash), or None."""
    candidates = list(known)
    lowered = {c.lower().replace("-", "").replace("_", ""): c for c in candidates}
    squashed = name.lower().replace("-", "").replace("_", "")
    if squashed in lowered:
        return lowered[squashed]
    starting = [c for c in candidates if c.lower().startswith(name.lower())] if len(name) >= 3 else []
    if len(starting) == 1:  # an abbreviation: "perf" for performance
        return starting[0]
    found = get_close_matches(name, candidates, n=1, cutoff=0.6)
    return found[0] if found else None


def unknown_name(what: str, name: str, known: Iterable[str]) -> str:
    """e.g. "'platfrom-sre' is not a support line of checkout: choose one of service-desk, ... (did you mean platform-sre?)"."""
    candidates = list(known)
    hint = closest(name, candidates)
    text = f"{name!r} is not {what}: choose one of {', '.join(candidates)}"
    return text + (f" (did you mean {hint}?)" if hint else "")
