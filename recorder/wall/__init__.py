"""The crisis-cell wall (issue 14 §3): a live grid of every commune's cameras for the lawful
recipients' individual accounts (ACC-3), with no playback or export anywhere (ACC-4).

Served on the crisis-cell host over TLS (Starlette on uvicorn). Each tile pulls its commune's
live relay only while the page is open and visible, with a short-lived token signed by the
wall's key naming the person (recorder/viewtoken.py), so the commune's NVR journals the view
under that person's id (JRN-1) and an idle wall costs no WAN bandwidth.
"""
