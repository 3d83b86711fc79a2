"""납기 assistant: reads a sales rep's vendor and customer mail, keeps the order ledger, drafts replies."""

__version__ = "0.1.0"
