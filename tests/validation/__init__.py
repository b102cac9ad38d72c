"""Validation tests: malformed inventories, fuzzing, the CLI contract, site new."""
