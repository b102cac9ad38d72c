"""Ansible module: converge a camera over ONVIF to its rendered settings (network/camera)."""

from __future__ import annotations

from typing import Any

from ansible.module_utils.basic import AnsibleModule

DOCUMENTATION = r"""
module: onvif_camera
short_description: Converge an ONVIF camera to the rendered Beffroi settings, with read-back
description:
- Sets UTC time from NTP (TIME-1), replaces the factory account with the vaulted one (NET-3),
  sets the recorded stream's resolution, frame rate and bitrate, refusing values below the legal
  floors (CAM-1..3), and the privacy masks (CAM-5); then reads everything back.
- Fails closed when the device does not let resolution, fps or declared masks be read back.
- Supports check mode and diff mode.
options:
  device:
    description: Inventory host name of the camera.
    type: str
    required: true
  settings:
    description: Rendered camera file (templates/camera/camera.yml.j2).
    type: str
    required: true
    no_log: true
  host:
    description: Camera address (overridden by the endpoints file).
    type: str
    required: true
  port:
    description: ONVIF HTTP port.
    type: int
    default: 80
  factory_username:
    description: Factory default login (used once
    then removed).: null
    type: str
    default: admin
  factory_password:
    description: Factory default password.
    type: str
    default: admin
    no_log: true
  endpoints_file:
    description: Endpoints override file (lab
    simulators).: null
    type: path
    default: ''
author:
- Moselle Fibre
"""

EXAMPLES = r"""
- name: Converge a camera
  onvif_camera:
    device: evrange-cam-mairie-narrow
    settings: "{{ lookup('ansible.builtin.template', 'camera/camera.yml.j2') }}"
    host: 10.57.0.74
"""

RETURN = r"""
actions:
  description: What was (or would be) changed
  each with its rule id.: null
  type: list
  returned: always
unverifiable:
  description: Settings ONVIF cannot read back on this device.
  type: list
  returned: always
"""


def main() -> None:
    """Entry point (Ansible calls it with the task's arguments)."""
    module = AnsibleModule(
        argument_spec={
            "device": {"type": "str", "required": True},
            "settings": {"type": "str", "required": True, "no_log": True},
            "host": {"type": "str", "required": True},
            "port": {"type": "int", "default": 80},
            "factory_username": {"type": "str", "default": "admin"},
            "factory_password": {"type": "str", "default": "admin", "no_log": True},
            "endpoints_file": {"type": "path", "default": ""},
        },
        supports_check_mode=True,
    )
    p: dict[str, Any] = module.params
    try:
        from network.camera import camera
        from network.camera.model import CameraFileError
        from network.endpoints import Endpoint, EndpointsError, endpoint_for
        from network.errors import NetworkError
    except ImportError as exc:
        module.fail_json(msg=f"Beffroi's network package is not importable ({exc}): run the "
                             "play with ansible_python_interpreter={{ ansible_playbook_python }}")
        return
    try:
        endpoint = endpoint_for(p["device"], Endpoint(p["host"], p["port"]), p["endpoints_file"])
    except EndpointsError as exc:
        module.fail_json(msg=str(exc))
        return
    try:
        result = camera.apply(p["device"], p["settings"], endpoint,
                              (p["factory_username"], p["factory_password"]),
                              check_mode=module.check_mode)
    except NetworkError as exc:
        module.fail_json(msg=str(exc), rule_id=exc.rule)
        return
    except CameraFileError as exc:
        module.fail_json(msg=f"{p['device']}: {exc}")
        return
    out: dict[str, Any] = {"changed": result.changed, "actions": result.actions,
                           "unverifiable": result.unverifiable}
    if module._diff and result.diff:
        out["diff"] = {"prepared": result.diff}
    module.exit_json(**out)


if __name__ == "__main__":
    main()
