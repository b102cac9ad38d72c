"""The commune's core switch: intended config (rendered) vs running config, and the apply loop."""
