"""The library's exceptions. The CLI turns them into one line on stderr and an exit code."""


class FollowupError(Exception):
    """Something the user can fix: bad input, a bad option, a refused action. Exit code 2."""

    exit_code = 2


class LedgerError(FollowupError):
    """The ledger file cannot be opened or is not a followup ledger."""
