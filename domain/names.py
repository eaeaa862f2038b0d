"""Refusing an unknown name the way a person wants to read it: what is valid, and what was meant."""

from collections.abc import Iterable
from difflib import get_close_matches


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
