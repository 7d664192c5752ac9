"""followup: patient callback (回访) planning, call sheets and reports over one SQLite ledger."""

__version__ = "0.1.0"
