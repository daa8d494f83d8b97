"""Use cases: one function per command, each owning one unit of work."""
