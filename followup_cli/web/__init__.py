"""`followup serve`: the team's workspace in the browser, over the ledger and its library."""
