"""What every program of the project shares: settings read once, structured logs, the Temporal
connection, a clean process exit, and the search attributes' registration."""
