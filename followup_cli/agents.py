"""Who is acting: the agent named on a call, a decision or a look at full numbers."""

from __future__ import annotations

import os


def default_agent() -> str:
    """$FOLLOWUP_AGENT, else the login name."""
    agent = os.environ.get("FOLLOWUP_AGENT")
    if agent:
        return agent
    import getpass

    return getpass.getuser()
