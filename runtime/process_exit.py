"""Leave the process with the right exit code, every time.

temporalio 1.35's Rust bridge threads can outlive the event loop and crash the
interpreter during finalization (SIGSEGV/SIGABRT after a clean run). Programs shut
down explicitly, flush, then skip finalization with os._exit.
"""

import os
import sys


def exit_now(code: int) -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass  # a closed pipe must not change the exit code
    os._exit(code)
