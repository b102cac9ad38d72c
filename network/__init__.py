"""Drivers for the devices of a commune that are not Linux hosts: the switch and the cameras.

`network.switch` speaks Cisco IOS (napalm first, netmiko where napalm cannot drive the device);
`network.camera` speaks ONVIF. Both take the rendered intent and return what changed, a readable
diff and what could not be verified; `beffroi drift` and the Ansible modules call them.
"""
