"""Use cases. Each takes a Session first, flushes, never commits, and never imports Flask."""
