"""Simulator programs of the lab's devices (each runs as its own process, see devices.py).

They run under other interpreters than Beffroi's (the ipycam venv, Debian's python3 for
GStreamer, the controller's venv for fake-switches) and import nothing from Beffroi but this
package.
"""
