"""incidentctl login's polling of the token endpoint (RFC 8628 3.4, 3.5), with the clock and sleep in hand."""

import pytest

from starter.incidentctl.errors import Refused
from starter.incidentctl.login_commands import poll


class Endpoint:
    """Answers in turn what it is given; records how long the client waited before each ask."""

    def __init__(self, *answers: dict) -> None:
        self.answers, self.waits, self.now = list(answers), [], 0.0

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds

    def ask(self) -> tuple[int, dict]:
        answer = self.answers.pop(0)
        return (200 if "access_token" in answer else 400), answer


def _poll(endpoint: Endpoint, interval: float = 2, expires_in: float = 600) -> dict:
    return poll(
        endpoint.ask, interval=interval, expires_in=expires_in, sleep=endpoint.sleep, clock=lambda: endpoint.now
    )


def test_pending_waits_the_interval_and_slow_down_adds_five_seconds_from_then_on():
    pending, slow = {"error": "authorization_pending"}, {"error": "slow_down"}
    endpoint = Endpoint(pending, slow, pending, {"access_token": "a"})
    assert _poll(endpoint) == {"access_token": "a"}
    assert endpoint.waits == [2, 2, 7, 7]


@pytest.mark.parametrize(
    ("error", "said"),
    [("access_denied", "denied"), ("expired_token", "expired"), ("invalid_grant", "refused the sign-in")],
)
def test_a_final_answer_ends_the_wait_with_one_line(error: str, said: str):
    with pytest.raises(Refused, match=said):
        _poll(Endpoint({"error": "authorization_pending"}, {"error": error}))


def test_the_codes_lifetime_ends_the_wait_even_if_the_provider_keeps_saying_pending():
    endpoint = Endpoint(*[{"error": "authorization_pending"}] * 10)
    with pytest.raises(Refused, match="expired"):
        _poll(endpoint, interval=5, expires_in=12)
    assert len(endpoint.waits) == 3
