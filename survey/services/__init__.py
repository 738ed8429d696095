"""Use cases. Each function takes a connection and the caller; none knows about HTTP."""
