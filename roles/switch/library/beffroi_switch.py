"""Ansible module: converge a commune switch to its rendered configuration (network/switch)."""

from __future__ import annotations

from typing import Any

from ansible.module_utils.basic import AnsibleModule

DOCUMENTATION = r"""
module: beffroi_switch
short_description: Converge a switch to the rendered Beffroi intent
description:
- Compares the running configuration with the rendered intended configuration and applies the
  difference with napalm (merge candidate, compare, commit with revert timer, rollback on failure),
  or over netmiko where napalm cannot stage a candidate on the device; Junos over NETCONF
  (candidate, commit confirmed, confirm, discard on failure).
- Supports check mode and diff mode. Lines the device profile cannot model are returned
  in C(unverifiable), never silently treated as applied.
options:
  device:
    description: Inventory host name of the switch.
    type: str
    required: true
  platform:
    description: Template platform.
    type: str
    choices:
    - ios
    - junos
    - procurve
    default: ios
  intended_config:
    description: Rendered switch configuration.
    type: str
    required: true
  host:
    description: Management address (overridden by the endpoints file).
    type: str
    required: true
  port:
    description: SSH port (0 = 22).
    type: int
    default: 0
  profile:
    description: Device profile (empty = real Cisco IOS).
    type: str
    default: ''
  username:
    description: Vaulted login.
    type: str
    required: true
  password:
    description: Vaulted password.
    type: str
    required: true
    no_log: true
  enable_secret:
    description: Vaulted enable secret.
    type: str
    default: ''
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
- name: Converge the switch
  beffroi_switch:
    device: evrange-sw
    intended_config: "{{ lookup('ansible.builtin.template', 'switch/ios.j2') }}"
    host: 10.57.0.98
    username: "{{ beffroi.switch.credentials.username }}"
    password: "{{ beffroi.switch.credentials.password }}"
"""

RETURN = r"""
commands:
  description: Configuration lines sent (or to send in check mode).
  type: list
  returned: always
method:
  description: napalm or netmiko.
  type: str
  returned: always
fallback_reason:
  description: Why napalm's candidate path was not used.
  type: str
  returned: always
unverifiable:
  description: Intended lines the device cannot model.
  type: list
  returned: always
"""


def main() -> None:
    """Entry point (Ansible calls it with the task's arguments)."""
    module = AnsibleModule(
        argument_spec={
            "device": {"type": "str", "required": True},
            "platform": {"type": "str", "choices": ["ios", "junos", "procurve"],
                         "default": "ios"},
            "intended_config": {"type": "str", "required": True},
            "host": {"type": "str", "required": True},
            "port": {"type": "int", "default": 0},
            "profile": {"type": "str", "default": ""},
            "username": {"type": "str", "required": True},
            "password": {"type": "str", "required": True, "no_log": True},
            "enable_secret": {"type": "str", "default": "", "no_log": True},
            "endpoints_file": {"type": "path", "default": ""},
        },
        supports_check_mode=True,
    )
    p: dict[str, Any] = module.params
    try:
        from network.endpoints import Endpoint, EndpointsError, endpoint_for
        from network.errors import NetworkError
        from network.switch.driver import Credentials, driver_for
    except ImportError as exc:
        module.fail_json(msg=f"Beffroi's network package is not importable by "
                             f"{module._name} ({exc}): run the play with "
                             "ansible_python_interpreter={{ ansible_playbook_python }}")
        return
    try:
        endpoint = endpoint_for(p["device"], Endpoint(p["host"], p["port"], p["profile"]),
                                p["endpoints_file"])
    except EndpointsError as exc:
        module.fail_json(msg=str(exc))
        return
    try:
        drv = driver_for(p["platform"], p["device"], endpoint,
                         Credentials(p["username"], p["password"], p["enable_secret"]))
        result = drv.apply(p["intended_config"], check=module.check_mode)
    except NetworkError as exc:
        module.fail_json(msg=str(exc), rule_id=exc.rule)
        return
    out: dict[str, Any] = {"changed": result.changed, "commands": result.commands,
                           "method": result.method, "fallback_reason": result.fallback_reason,
                           "unverifiable": list(result.unverifiable)}
    if module._diff and result.diff:
        out["diff"] = {"prepared": result.diff}
    module.exit_json(**out)


if __name__ == "__main__":
    main()
