"""One module per command; each registers itself on the root app and stays thin:
parse options, open the ledger, call one library function, render the result."""
