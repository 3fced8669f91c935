"""The story level: which articles report the same news item (pure decisions)."""
