"""What the engineers' API does with incidents, behind its routes: open, show (a closed one from the record),
each engineer action, list and report. Temporal and the record are reached here (SQL through stores/);
the routes only authenticate, call, and answer. Errors are the outcomes in operations.outcomes."""
