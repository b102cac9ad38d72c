"""Events of the NVR and their delivery to partners (issue 15).

- `kinds.py`   the catalogue: every event kind, its ONVIF-style topic, whether it tells about the
               filmed scene, and which L251-2 purposes an incident type serves (routing law)
- `event.py`   the versioned event (schema beffroi.event/1, shaped like ONVIF Profile M
               metadata); unknown fields refused, so no face, plate or behaviour field (CAM-6)
- `spool.py`   crash-safe on-disk queue of deliveries (one fsync'd file per delivery)
- `router.py`  which configured route gets an event (kinds, incident types, dedup)
- `channels.py` webhook (Ed25519-signed JSON), e-mail (SMTP), syslog (RFC 5424), MQTT
- `dispatcher.py` delivers the spool: hours, rate limit + grouping, capped backoff, journal
- `sources.py` what the recorder already sees, turned into events (camera, gaps, disk, clock…)
- `tamper.py`  frozen / black / abrupt scene change from a keyframes-only low-rate decode
- `onvif.py`   camera-side events through an ONVIF PullPoint subscription
- `incident.py` an operator's manual incident, and acknowledgements
"""
