"""protestlog: an append-only, sourced, verifiable casualty ledger."""

__version__ = "0.1.0"
