"""The library's exceptions. The CLI turns them into one line on stderr and an exit code."""


class FollowupError(Exception):
    """Something the user can fix: bad input, a bad option, a refused action. Exit code 2."""

    exit_code = 2
    # what the command line can do about it (an option to give); the CLI adds it, the web,
    # which has no such option, does not
    cli_hint = ""


class LedgerError(FollowupError):
    """The ledger file cannot be opened or is not a followup ledger."""


class NotFound(FollowupError):
    """What was named (a task, a case, an alert, a patient) does not exist: the web answers
    404 where a page's address named it."""
