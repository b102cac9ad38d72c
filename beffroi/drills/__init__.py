"""Fault drills: each says what it did, what it checked, and the measured recovery."""
