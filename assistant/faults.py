"""Crash injection for the reliability tests, read in this one place.

``ASSISTANT_CRASH_AFTER=<step>[:<n>]`` ends the process with status 137 (as
SIGKILL would) right after the ``n``-th time (default 1) the poll passes
``step``: ``fetched`` (a folder's new mail was read), ``committed`` (a
transaction was committed), ``appended`` (a draft was APPENDed, not yet marked
in the database) or ``marked`` (a draft was marked as in Drafts). ``any`` counts
every side-effect step (all but ``fetched``). Unset, it does nothing.
"""
from __future__ import annotations

import os
import sys

ENV = "ASSISTANT_CRASH_AFTER"
STEPS = ("fetched", "committed", "appended", "marked")
SIDE_EFFECTS = ("committed", "appended", "marked")
EXIT_CODE = 137

_passed: dict[str, int] = {}


def crash_point(step: str) -> None:
    """Stop the process here if ``ASSISTANT_CRASH_AFTER`` names this step and count."""
    wanted = os.environ.get(ENV)
    if not wanted:
        return
    name, _, count = wanted.partition(":")
    if name != step and not (name == "any" and step in SIDE_EFFECTS):
        return
    _passed[name] = _passed.get(name, 0) + 1
    if _passed[name] >= int(count or 1):
        sys.stderr.write(f"crash injected after {step} #{_passed[name]}\n")
        sys.stderr.flush()
        os._exit(EXIT_CODE)
