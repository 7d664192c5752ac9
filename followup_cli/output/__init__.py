"""Everything followup hands to the outside world passes through here: text for the
terminal (`terminal`) and files (`files`)."""
