"""Whom a change is made as: someone named (--as, or $INCIDENT_USER), or, when nobody is, the caller the
API authenticated (the login name claims nothing: main() sets `as_given`)."""

import argparse


def named(args: argparse.Namespace) -> str | None:
    return args.actor if getattr(args, "as_given", False) else None
