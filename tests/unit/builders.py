"""Agreements for the domain tests: the DESIGN's default targets, one service, small and explicit."""

from domain.catalog import DEFAULT_TARGETS, Category, ServiceAgreement, Targets
from domain.enums import Priority

# impact x urgency that gives each priority
SCALE = {Priority.P1: (1, 1), Priority.P2: (1, 2), Priority.P3: (2, 2), Priority.P4: (2, 3), Priority.P5: (3, 3)}


def agreement(**overrides: object) -> ServiceAgreement:
    fields: dict[str, object] = dict(
        name="checkout", owner_group="checkout-oncall", service_manager="maria.lind",
        support_lines=["service-desk", "checkout-oncall"],
        targets={p: Targets(response=r, restore=s) for p, (r, s) in DEFAULT_TARGETS.items()},
        categories=[Category(name="availability", group="service-desk")], severity={},
    )  # fmt: skip
    return ServiceAgreement(**{**fields, **overrides})
