"""The rule catalogue: every rule id Beffroi cites, with its source (see ../shared/compliance.md).

Legal rules (law → error) and policy rules (our engineering margin → warning, labelled "policy")
come from the product owner's checklist; ENG-* rules are Beffroi's own consistency rules.
"""

from __future__ import annotations

from dataclasses import dataclass

from recorder import legal

# the floors as the checklist states them, from their one home (recorder/legal.py)
_NARROW = "×".join(map(str, legal.NARROW_MIN))
_OTHER = "×".join(map(str, legal.OTHER_MIN))


@dataclass(frozen=True)
class Rule:
    """A checklist entry: id, what it asks, where the law says it."""

    id: str
    title: str
    citation: str


_RULES: tuple[Rule, ...] = (
    Rule("AUTH-1", "Prefectoral authorization before recording or streaming", "CSI L252-1"),
    Rule("AUTH-2", "Authorization lasts 5 years, renewable", "CSI L252-4"),
    Rule("AUTH-3", "Purposes from the closed list of L251-2; every camera has one", "CSI L251-2"),
    Rule("AUTH-4", "Filming the public highway is reserved to public authorities", "CSI R251-1"),
    Rule("AUTH-5", "Each purpose carries its data-protection regime",
         "CNIL (Directive 2016/680 / RGPD)"),
    Rule("RET-1", f"0 < retention_days ≤ min({legal.RETENTION_MAX_DAYS}, authorization maximum)",
         "CSI L252-5"),
    Rule("RET-2", "Oldest non-held segment never older than retention + 1 day", "CSI L252-5"),
    Rule("REG-1", "Register of recordings, destructions, transmissions", "ex-R252-11 (verify)"),
    Rule("REG-2", "Préfet told the go-live date before the first recording", "ex-R252-11 (verify)"),
    Rule("JRN-1", "Automatic journal of every action on the video", "Arrêté du 3 août 2007 art. 2"),
    Rule("JRN-2", "Journal kept 6–12 months, tamper-evident", "CNIL délibération 2021-122"),
    Rule("ACC-1", "Individually designated persons, one account each", "CSI L252-2; R253-3"),
    Rule("ACC-2", "Commune side: maire and adjoints with delegated police powers",
         "CSI R253-3 II 2° a)"),
    Rule("ACC-3", "Recipients outside the commune: listed services only", "CSI L252-3"),
    Rule("ACC-4", "Crisis cell sees live streams only", "seed annexe 1; CSI L252-3"),
    Rule("ACC-5",
         f"Personal accounts, strong passwords (policy ≥ {legal.PASSWORD_MIN_LENGTH} chars)",
         "CNIL mise en demeure 2021"),
    Rule("CAM-1", f"Narrow-field recorded stream ≥ {_NARROW}", "Arrêté du 3 août 2007 art. 2"),
    Rule("CAM-2", f"Every other recorded stream ≥ {_OTHER}", "Arrêté du 3 août 2007 art. 2"),
    Rule("CAM-3", f"Narrow ≥ {legal.NARROW_MIN_FPS} fps, others ≥ {legal.OTHER_MIN_FPS} fps, "
         "real capture rate",
         "Arrêté du 3 août 2007 art. 2, annexe 1 §3"),
    Rule("CAM-4", "Date, time and camera location retrievable at any point",
         "Arrêté du 3 août 2007 art. 2"),
    Rule("CAM-5", "No view inside dwellings: masks cover every private zone", "CSI L251-3"),
    Rule("CAM-6", "No sound; no biometric or behavioural analytics", "CNIL; seed annexe 1"),
    Rule("CAM-7", "Lighting suited to the site (night mode or site lighting)",
         "Arrêté du 3 août 2007 art. 1"),
    Rule("CAM-8", "Σ stream bitrates ≤ 70 % of link capacity (policy margin)",
         "Arrêté du 3 août 2007 art. 1"),
    Rule("CAM-9", "Storage sized for the declared retention", "Arrêté du 3 août 2007 annexe 1 §3"),
    Rule("EXP-1", "Bit-exact export", "Arrêté du 3 août 2007 art. 3"),
    Rule("EXP-2", "Automatic export journal", "Arrêté du 3 août 2007 art. 3"),
    Rule("EXP-3", "Recording continues during export", "Arrêté du 3 août 2007 art. 3"),
    Rule("NET-1", "Dedicated isolated video network; camera VLAN reaches only the NVR",
         "ANSSI note 524 (2013)"),
    Rule("NET-2", "Every flow leaving the site encrypted and authenticated",
         "ANSSI note 524; arrêté du 3 août 2007 art. 1"),
    Rule("NET-3", "Unused services off; default passwords replaced and vaulted", "ANSSI note 524"),
    Rule("NET-4", "Wired links preferred; wireless needs strong encryption", "ANSSI note 524"),
    Rule("TIME-1", "NTP against ≥ 2 sources; segments valid only once synchronised",
         "Arrêté du 3 août 2007 annexe 1 §3; IEC 62676-1-2 §4.2"),
    # Beffroi's own consistency rules (engineering, not law).
    Rule("ENG-YAML", "The file is valid YAML", "Beffroi engineering rule"),
    Rule("ENG-SCHEMA", "Fields have the expected type and required fields are present",
         "Beffroi engineering rule"),
    Rule("ENG-UNKNOWN-KEY", "No unknown keys (typos would be silently ignored)",
         "Beffroi engineering rule"),
    Rule("ENG-SITE-ID", "site_id unique in the department", "Beffroi engineering rule"),
    Rule("ENG-SLUG", "slug unique, lowercase ASCII, matches the file name",
         "Beffroi engineering rule"),
    Rule("ENG-HOSTNAME", "Hostnames unique across the department", "Beffroi engineering rule"),
    Rule("ENG-IP", "IP addresses unique across the department", "Beffroi engineering rule"),
    Rule("ENG-WG-KEY", "WireGuard public keys unique across the department",
         "Beffroi engineering rule"),
    Rule("ENG-POOL", "Commune subnets inside the department pool, at their site_id block",
         "Beffroi engineering rule"),
    Rule("ENG-OVERLAP", "Commune subnets never overlap", "Beffroi engineering rule"),
    Rule("ENG-CAMERA-IP", "Camera IPs inside their commune's camera VLAN",
         "Beffroi engineering rule"),
    Rule("ENG-ADDRESS", "Device addresses inside the subnet they belong to",
         "Beffroi engineering rule"),
    Rule("ENG-SECRET", "Secrets never in clear in inventory files (use the vault)",
         "Beffroi engineering rule; ANSSI note 524"),
    Rule("ENG-TEXT", "Free text is one line of visible text within its length cap: no line "
         "break, control or bidi character (it would become a directive in a rendered file)",
         "Beffroi engineering rule"),
    Rule("ENG-REF", "References point to declared objects (purposes, ports, zones)",
         "Beffroi engineering rule"),
    Rule("ENG-ADMIN-NET", "SSH administration only from private networks, never 0.0.0.0/0",
         "Beffroi engineering rule; ANSSI note 524"),
    Rule("ENG-SSH-KEY", "ssh_public_keys hold OpenSSH public keys only",
         "Beffroi engineering rule; ANSSI note 524"),
    Rule("ENG-TIMEZONE", "The department's time zone is a known IANA zone",
         "Beffroi engineering rule; IANA tz database"),
    Rule("ENG-LAYOUT", "An inventory is department.yml, crisis-cell.yml, sites/<slug>.yml "
         "(regular files) and vault/", "Beffroi engineering rule"),
    Rule("ENG-VAULT", "Each commune's secrets are in vault/<slug>.yml, encrypted with "
         "ansible-vault", "Beffroi engineering rule; ANSSI note 524"),
    Rule("ENG-MONITORING", "Alert thresholds that can tell a fault from normal operation "
         "(no segment longer than two segments, disk warning above the purge threshold)",
         "Beffroi engineering rule"),
)

RULES: dict[str, Rule] = {r.id: r for r in _RULES}


def citation(rule_id: str) -> str:
    """The citation string for a rule id (empty for an unknown id)."""
    rule = RULES.get(rule_id)
    return rule.citation if rule else ""
