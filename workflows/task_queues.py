"""Which task queue an incident's work goes to. Each queue has slots of its own (worker.IncidentWorkers),
and `worker.py --role split` serves the urgent and paging queues from a process of their own that the OS
favours, so during an alert storm a P1 neither waits for a workflow task slot or the CPU behind the
storm's incidents nor its page for an activity slot behind their records (make bench B7). Within a
queue, Temporal hands out a P1's tasks first (domain.priority.queue_priority)."""

URGENT = "-urgent"
PAGING = "-paging"


def incident_queue(task_queue: str, priority_key: int) -> str:
    """Where a new incident runs (its workflow tasks and activities): a P1's on the urgent queue. Chosen
    at its start; an incident raised to P1 later stays where it began."""
    return f"{task_queue}{URGENT}" if priority_key == 1 else task_queue


def paging_queue(task_queue: str) -> str:
    """Where the pages of an incident running on `task_queue` go: one paging queue for both."""
    return f"{task_queue.removesuffix(URGENT)}{PAGING}"
