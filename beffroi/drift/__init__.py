"""Drift audit: live devices vs the rendered intent (the same files the roles deploy)."""
