"""Which task queue an incident's work goes to. Each queue has slots of its own (worker.IncidentWorkers),
and `worker.py --role split` serves the urgent queue (a P1's steps and, from release 1.2, its pages) from
a process of its own that the OS favours, so during an alert storm a P1 neither waits for a slot or the
CPU behind the storm's incidents and pages; every other incident's pages go to the paging queue, so they
never wait for an activity slot behind the storm's records (make bench B7). Within a queue, Temporal
hands out a P1's tasks first (domain.priority.queue_priority)."""

URGENT = "-urgent"
PAGING = "-paging"


def incident_queue(task_queue: str, priority_key: int) -> str:
    """Where a new incident runs (its workflow tasks and activities): a P1's on the urgent queue. Chosen
    at its start; an incident raised to P1 later stays where it began."""
    return f"{task_queue}{URGENT}" if priority_key == 1 else task_queue


def paging_queue(task_queue: str) -> str:
    """Where the pages of an incident running on `task_queue` go (release 1.1 for every incident; from
    1.2 every incident but a P1): one paging queue for both."""
    return f"{task_queue.removesuffix(URGENT)}{PAGING}"


def is_urgent(task_queue: str) -> bool:
    return task_queue.endswith(URGENT)
