"""Essaimage: the department rolled out in waves by Ansible (plan, run, report, resume)."""
