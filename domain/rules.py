"""Which release's rules an incident follows.

An incident begun under earlier code must keep that code's behaviour, or its history no
longer replays. The workflow answers each flag with one `workflow.patched()`, asked only when a
rule is consulted (workflows/release_rules.py); the domain functions read the flags as plain
values, so they stay pure and each old rule stays testable. New incidents get every default.
"""


class Rules:
    # alerts-quiet-from-last-resolve: the quiet window runs from the last alert resolving
    # (before: every batch with nothing firing restored, and the window ran from the restore)
    quiet_from_last_resolve: bool = True
    # alerts-early-ack: an events-API acknowledgement before prioritization is kept (before: dropped)
    remember_early_ack: bool = True
    # reopen-unacknowledged-to-prioritized: a reopen of an incident nobody acknowledged goes back
    # to prioritized, so it can be acknowledged and its response target still escalates
    # (before: in_progress with no assignee, and `ack` was refused)
    reopen_unacknowledged: bool = True
    # integration-ack-not-assignee: an acknowledgement from an integration (events API) records
    # it as the actor but leaves the assignee alone: an assignee is a person or a group
    integration_ack_assigns: bool = False
    # integration-ack-stops-paging: an events-API acknowledge of an incident already in work that is
    # paging again (escalated, reassigned) stops the paging, as `incidentctl ack` and the link do
    # (before: ignored outside prioritized, and the pages went on)
    integration_ack_stops_paging: bool = True

    def __init__(self, **flags: bool) -> None:
        for name, value in flags.items():
            if not hasattr(Rules, name):
                raise TypeError(f"no rule {name!r}")
            setattr(self, name, value)


FIRST_RELEASE = Rules(quiet_from_last_resolve=False, remember_early_ack=False, reopen_unacknowledged=False,
                      integration_ack_assigns=True, integration_ack_stops_paging=False)  # fmt: skip
