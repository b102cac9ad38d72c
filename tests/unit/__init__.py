"""Unit tests: one rule at a time."""
