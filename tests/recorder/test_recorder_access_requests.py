"""Right-of-access requests (RGPD art. 15, answered within one month: art. 12.3): the state
machine received → searched → extract produced → answered/refused, the deadline, the store's
writing discipline (recorder.ledger), the journal (JRN-1) and the rights (ACC-2)."""

from __future__ import annotations

import json
import time
from datetime import date
from pathlib import Path

import pytest
from recorder_harness import PASSWORD, cli, make_config, seed_segments

from recorder import access_requests as ar
from recorder import config, timeutil
from recorder.export import verify_export
from recorder.state import State, open_state


@pytest.fixture
def state(tmp_path: Path) -> State:
    conf = config.load(make_config(tmp_path, [("cam1", "rtsp://127.0.0.1:9/cam1"),
                                              ("cam2", "rtsp://127.0.0.1:9/cam2")]))
    st = open_state(conf)
    yield st
    st.close()


def _user(st: State, uid: str) -> config.User:
    user = st.config.user(uid)
    assert user is not None
    return user


def _record(st: State, now: float, user: str = "mdupont", **kw: object) -> ar.AccessRequest:
    args: dict[str, object] = {
        "requester": "Jean <b>Martin</b>", "received": ar.today(now), "cameras": ["cam1"],
        "start": now - 120, "end": now - 10,
        "identity_check": "carte d'identité n° 123 vue au guichet", "now": now}
    args.update(kw)
    return ar.Store(st).record(_user(st, user), **args)  # type: ignore[arg-type]


def test_deadline_is_one_month_after_receipt() -> None:
    assert ar.one_month_after(date(2026, 11, 28)) == date(2026, 12, 28)
    assert ar.one_month_after(date(2026, 12, 15)) == date(2027, 1, 15)


def test_deadline_of_a_day_the_next_month_lacks_is_that_month_end() -> None:
    assert ar.one_month_after(date(2027, 1, 31)) == date(2027, 2, 28)
    assert ar.one_month_after(date(2028, 1, 30)) == date(2028, 2, 29)
    assert ar.one_month_after(date(2026, 3, 31)) == date(2026, 4, 30)


def test_days_left_count_down_and_turn_overdue(state: State) -> None:
    now = time.time()
    req = _record(state, now, received=date(2026, 11, 2))
    assert req.deadline == date(2026, 12, 2)
    assert req.days_left(date(2026, 11, 28)) == 4
    assert not req.overdue(date(2026, 12, 2))  # the last day is still in time
    assert req.days_left(date(2026, 12, 5)) == -3
    assert req.overdue(date(2026, 12, 5))


def test_request_goes_from_received_to_answered_with_a_blurred_extract(
        state: State, small_segment: Path) -> None:
    now = time.time()
    seed_segments(state, "cam1", small_segment, [now - 60, now - 58])
    store = ar.Store(state)
    req = _record(state, now)
    assert req.state == ar.RECEIVED and req.id.startswith("DA-")
    req = store.search(_user(state, "mdupont"), req.id)
    assert req.state == ar.SEARCHED
    assert req.found["cam1"]["segments"] == 2
    req = store.produce_extract(_user(state, "mdupont"), req.id, ["10,10,64,64"])
    assert req.state == ar.EXTRACT
    ok, message = verify_export(Path(req.export_dir))
    assert ok, message
    extract = Path(req.extract_dir)
    assert (extract / "DERIVATIVE.json").is_file()
    assert len(list(extract.rglob("*.blurred.mp4"))) == 2
    req = store.answer(_user(state, "pbernard"), req.id, "remis en main propre (clé USB)")
    assert req.state == ar.ANSWERED and not req.open
    assert [s.state for s in req.history] == [ar.RECEIVED, ar.SEARCHED, ar.EXTRACT, ar.ANSWERED]
    assert [s.user for s in req.history][-1] == "pbernard"


def test_a_step_out_of_order_is_refused(state: State) -> None:
    now = time.time()
    store = ar.Store(state)
    req = _record(state, now)
    maire = _user(state, "mdupont")
    with pytest.raises(ar.RequestError, match="n'est pas une étape possible"):
        store.produce_extract(maire, req.id, ["0,0,8,8"])
    with pytest.raises(ar.RequestError, match="n'est pas une étape possible"):
        store.answer(maire, req.id, "réponse")
    store.refuse(maire, req.id, "identité non justifiée après relance")
    for step in (lambda: store.search(maire, req.id),
                 lambda: store.answer(maire, req.id, "x"),
                 lambda: store.refuse(maire, req.id, "encore")):
        with pytest.raises(ar.RequestError, match="refusée"):
            step()
    assert store.get(req.id).state == ar.REFUSED


def test_a_refusal_needs_its_reason(state: State) -> None:
    req = _record(state, time.time())
    for blank in ("", "   ", None):
        with pytest.raises(ar.RequestError, match="motif du refus : obligatoire"):
            ar.Store(state).refuse(_user(state, "mdupont"), req.id, blank)  # type: ignore[arg-type]
    assert ar.Store(state).get(req.id).state == ar.RECEIVED


@pytest.mark.parametrize("uid", ["sdis-lmartin", "admin-jroux"])
def test_only_maire_and_adjoints_handle_requests(state: State, uid: str) -> None:
    with pytest.raises(ar.RequestError, match="ACC-2"):
        _record(state, time.time(), user=uid)
    req = _record(state, time.time())
    with pytest.raises(ar.RequestError, match="ACC-2"):
        ar.Store(state).search(_user(state, uid), req.id)
    assert ar.Store(state).get(req.id).state == ar.RECEIVED


def test_an_adjoint_cannot_record_a_request_on_a_camera_not_his(state: State) -> None:
    with pytest.raises(ar.RequestError, match="ACC-2"):
        _record(state, time.time(), user="pbernard", cameras=["cam2"])


@pytest.mark.parametrize(("field", "value", "message"), [
    ("requester", "", "demandeur : obligatoire"),
    ("requester", "Jean\x00Martin", "contrôle"),
    ("requester", "Jean\nMartin", "contrôle"),
    ("identity_check", "  ", "vérification d'identité : obligatoire"),
    ("cameras", [], "au moins une"),
    ("cameras", ["cam9"], "inconnue"),
])
def test_bad_request_fields_are_refused_by_name(state: State, field: str, value: object,
                                                message: str) -> None:
    with pytest.raises(ar.RequestError, match=message):
        _record(state, time.time(), **{field: value})
    assert ar.Store(state).all() == []


def test_receipt_date_in_the_future_and_empty_period_are_refused(state: State) -> None:
    now = time.time()
    with pytest.raises(ar.RequestError, match="futur"):
        _record(state, now, received=date.fromordinal(ar.today(now).toordinal() + 2))
    with pytest.raises(ar.RequestError, match="période"):
        _record(state, now, start=now - 10, end=now - 20)


def test_free_text_is_kept_verbatim_as_data(state: State) -> None:
    req = _record(state, time.time(), requester="O'Brien <script>alert(1)</script> & fils")
    assert ar.Store(state).get(req.id).requester == "O'Brien <script>alert(1)</script> & fils"


def test_every_step_is_journaled_without_the_requesters_name(state: State) -> None:
    now = time.time()
    req = _record(state, now)
    ar.Store(state).search(_user(state, "mdupont"), req.id)
    ar.Store(state).refuse(_user(state, "mdupont"), req.id, "aucune image")
    steps = [e["data"] for e in state.journal.entries() if e["kind"] == "access_request"]
    assert [(s["request"], s["step"], s["user"]) for s in steps] == [
        (req.id, "received", "mdupont"), (req.id, "searched", "mdupont"),
        (req.id, "refused", "mdupont")]
    searches = [e["data"] for e in state.journal.entries() if e["kind"] == "search"]
    assert searches and searches[0]["access_request"] == req.id  # JRN-1: the search itself
    assert "Martin" not in (state.config.journal_dir / sorted(
        p.name for p in state.config.journal_dir.glob("*.jsonl"))[-1]).read_text()


def test_store_is_signed_chained_and_survives_a_torn_write(state: State) -> None:
    now = time.time()
    first = _record(state, now)
    store = ar.Store(state)
    path = sorted(store.dir.glob("*.jsonl"))[-1]
    with open(path, "ab") as fh:  # a crash in the middle of an append
        fh.write(b'{"seq": 1, "kind": "searched", "da')
    assert [r.id for r in store.all()] == [first.id]  # the fragment is not an entry
    second = _record(state, now, requester="Anne Klein")
    assert {r.id for r in store.all()} == {first.id, second.id}
    count, problem = store.ledger.verify(state.key.public_key())
    assert problem is None and count == 3  # two requests + the torn-write marker
    kinds = [json.loads(line)["kind"] for line in path.read_text().splitlines()]
    assert kinds == ["received", "torn_write_dropped", "received"]


def test_cli_records_and_lists_a_request_with_the_persons_password(tmp_path: Path) -> None:
    path = make_config(tmp_path, [("cam1", "rtsp://127.0.0.1:9/cam1")])
    now = time.time()
    res = cli("access-request", "add", "--config", str(path), "--user", "mdupont",
              "--password-file", "-", "--requester", "Jean Martin",
              "--received", ar.today(now).isoformat(), "--camera", "cam1",
              "--from", timeutil.iso(now - 3600), "--to", timeutil.iso(now - 60),
              "--identity-check", "CNI vue", stdin=PASSWORD)
    assert res.returncode == 0, res.stderr
    assert "DA-0001" in res.stdout
    wrong = cli("access-request", "refuse", "--config", str(path), "DA-0001", "--user",
                "mdupont", "--password-file", "-", "--reason", "x", stdin="wrong password")
    assert wrong.returncode == 1 and "journaled" in wrong.stderr
    listed = cli("access-request", "list", "--config", str(path))
    assert listed.returncode == 0, listed.stderr
    assert "DA-0001" in listed.stdout and "reçue" in listed.stdout and "j-" in listed.stdout
    no_reason = cli("access-request", "refuse", "--config", str(path), "DA-0001", "--user",
                    "mdupont", "--password-file", "-", "--reason", " ", stdin=PASSWORD)
    assert no_reason.returncode == 1 and "motif du refus" in no_reason.stderr


def test_deadline_extends_by_two_months_once_within_the_first_month(state: State) -> None:
    now = time.time()
    store = ar.Store(state)
    maire = _user(state, "mdupont")
    req = _record(state, now, received=ar.today(now))
    first = req.deadline
    with pytest.raises(ar.RequestError, match="prolongation : obligatoire"):
        store.extend(maire, req.id, "")
    req = store.extend(maire, req.id, "demande complexe : 4 caméras, 3 semaines d'images")
    assert req.deadline == ar.one_month_after(ar.one_month_after(first))
    assert req.state == ar.RECEIVED  # an extension is no step of the state machine
    with pytest.raises(ar.RequestError, match="déjà prolongée"):
        store.extend(maire, req.id, "encore")
    late = _record(state, now, received=date(2026, 1, 5))
    with pytest.raises(ar.RequestError, match="dépassé"):
        store.extend(maire, late.id, "trop tard")
    steps = [e["data"]["step"] for e in state.journal.entries() if e["kind"] == "access_request"]
    assert steps.count("extended") == 1


def test_recorder_verify_catches_an_altered_access_request(state: State) -> None:
    from recorder.verify import verify_all

    req = _record(state, time.time())
    assert verify_all(state).ok
    path = sorted(ar.Store(state).dir.glob("*.jsonl"))[-1]
    path.write_text(path.read_text().replace("Martin", "Mertin"))
    report = verify_all(state)
    assert not report.ok and "access requests" in (report.problem or "")
    assert req.id.startswith("DA-")


def test_requests_are_numbered_in_order_whatever_else_the_store_holds(state: State) -> None:
    now = time.time()
    first = _record(state, now)
    ar.Store(state).search(_user(state, "mdupont"), first.id)
    ar.Store(state).refuse(_user(state, "mdupont"), first.id, "aucune image")
    second = _record(state, now, requester="Anne Klein")
    assert (first.id, second.id) == ("DA-0001", "DA-0002")


def test_cli_carries_a_request_through_search_and_blurred_extract(tmp_path: Path,
                                                                 small_segment: Path) -> None:
    path = make_config(tmp_path, [("cam1", "rtsp://127.0.0.1:9/cam1")])
    now = time.time()
    st = open_state(config.load(path))
    seed_segments(st, "cam1", small_segment, [now - 60])
    st.close()
    auth = ("--config", str(path), "--user", "pbernard", "--password-file", "-")
    steps = [("add", "--requester", "Jean Martin", "--received", ar.today(now).isoformat(),
              "--camera", "cam1", "--from", timeutil.iso(now - 120), "--to",
              timeutil.iso(now - 30), "--identity-check", "CNI vue"),
             ("search", "DA-0001"), ("extract", "DA-0001", "--zone", "0,0,64,64"),
             ("answer", "DA-0001", "--note", "remis en main propre")]
    for step in steps:
        res = cli("access-request", step[0], *auth, *step[1:], stdin=PASSWORD)
        assert res.returncode == 0, (step, res.stderr)
    shown = json.loads(cli("access-request", "show", "--config", str(path), "DA-0001").stdout)
    assert shown["state"] == "answered" and shown["found"]["cam1"]["segments"] == 1
    assert list(Path(shown["extract_dir"]).rglob("*.blurred.mp4"))
    assert [h["user"] for h in shown["history"]] == ["pbernard"] * 4
