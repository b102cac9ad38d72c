// Recordings: day timelines per camera, search, and playback of the stored segments through
// hls.js with the EXP-4 functions (pause, frame step, speed, on-screen camera id and UTC /
// local time, frame saved as PNG). window.beffroiPlay exposes state for tests and benchmarks.
"use strict";
const $ = id => document.getElementById(id);
const video = $("player");
const cameraSel = $("camera");
const state = window.beffroiPlay = {camera: null, seekAsked: null, firstFrame: null, hls: null};
const DAY = 86400e3;
let dayStart = 0;

function pad(n) { return String(n).padStart(2, "0"); }
function localDay(d) { return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()); }
function fmtUTC(d) { return d.toISOString().replace("T", " ").replace("Z", " UTC"); }
function fmtLocal(d) {
  return d.toLocaleString("fr-FR", {dateStyle: "short", timeStyle: "medium"}) + "." +
         String(d.getMilliseconds()).padStart(3, "0");
}
function fps() { return parseFloat(cameraSel.selectedOptions[0].dataset.fps) || 15; }

async function loadTimelines() {
  const [y, m, d] = $("date").value.split("-").map(Number);
  dayStart = new Date(y, m - 1, d).getTime();
  const from = new Date(dayStart).toISOString(), to = new Date(dayStart + DAY).toISOString();
  const axis = $("axis"); axis.textContent = "";
  for (let h = 0; h <= 24; h += 2) {
    const s = document.createElement("span"); s.style.left = (h / 24 * 100) + "%";
    s.textContent = pad(h) + " h"; axis.appendChild(s);
  }
  for (const track of document.querySelectorAll(".track")) {
    track.textContent = "";
    const r = await fetch("/api/timeline?camera=" + encodeURIComponent(track.dataset.camera) +
                          "&from=" + from + "&to=" + to);
    if (!r.ok) continue;
    const t = await r.json();
    const place = (cls, a, b, title) => {
      const el = document.createElement("div"); el.className = cls;
      const s = Math.max(0, Date.parse(a) - dayStart), e = Math.min(DAY, Date.parse(b) - dayStart);
      el.style.left = (s / DAY * 100) + "%"; el.style.width = Math.max(0.05, (e - s) / DAY * 100) + "%";
      el.title = title; track.appendChild(el);
    };
    t.ranges.forEach(x => place("rec", x.start, x.end, "enregistré " + x.start + " → " + x.end));
    t.gaps.forEach(x => place("gapmark", x.start, x.end, "absence (" + x.reason + ")"));
    const cur = document.createElement("div"); cur.className = "cursor"; cur.hidden = true;
    track.appendChild(cur);
  }
}

function play(camera, at) {
  // Playlist from a little before the asked instant (its segment) to 30 min after.
  state.camera = camera; state.seekAsked = performance.now(); state.firstFrame = null;
  state.at = at;
  const opt = [...cameraSel.options].find(o => o.value === camera);
  cameraSel.value = camera;
  $("info-camera").textContent = camera;
  $("info-location").textContent = opt ? opt.dataset.location : "";
  $("info-state").textContent = "chargement…";
  if (state.hls) state.hls.destroy();
  const from = new Date(at.getTime() - 10e3).toISOString();
  const to = new Date(at.getTime() + 1800e3).toISOString();
  const hls = state.hls = new Hls({enableWorker: true, lowLatencyMode: false,
                                   maxBufferLength: 20, startFragPrefetch: true});
  hls.on(Hls.Events.LEVEL_LOADED, (ev, data) => {
    const f0 = data.details.fragments[0];
    if (f0 && f0.programDateTime) {
      hls.startLoad(Math.max(0, (at.getTime() - f0.programDateTime) / 1000 + f0.start));
    }
  });
  hls.on(Hls.Events.ERROR, (ev, data) => {
    if (data.fatal) $("info-state").textContent = "erreur : " + (data.response ? data.response.code : data.details);
  });
  video.addEventListener("loadeddata", () => {
    state.firstFrame = performance.now() - state.seekAsked;
    $("info-state").textContent = "lecture";
  }, {once: true});
  hls.loadSource("/api/hls/" + encodeURIComponent(camera) + ".m3u8?from=" + from + "&to=" + to);
  hls.attachMedia(video);
  video.playbackRate = parseFloat($("speed").value);
  video.play().catch(() => {});
}
// The playlist is loaded with autoStartLoad off so playback starts at the asked instant.
Hls.DefaultConfig.autoStartLoad = false;

function playingDate() { return state.hls && state.hls.playingDate ? new Date(state.hls.playingDate) : null; }

function osd() {
  const d = playingDate();
  if (d && state.camera) {
    $("osd").textContent = state.camera + "  " + fmtUTC(d) + "\n" + fmtLocal(d) + " (heure locale)";
    $("info-utc").textContent = fmtUTC(d);
    $("info-local").textContent = fmtLocal(d);
    const track = document.querySelector('.track[data-camera="' + state.camera + '"]');
    document.querySelectorAll(".track .cursor").forEach(c => c.hidden = true);
    const cur = track && track.querySelector(".cursor");
    if (cur && d.getTime() >= dayStart && d.getTime() < dayStart + DAY) {
      cur.hidden = false; cur.style.left = ((d.getTime() - dayStart) / DAY * 100) + "%";
    }
  }
  requestAnimationFrame(osd);
}
requestAnimationFrame(osd);

function step(frames) { video.pause(); video.currentTime = Math.max(0, video.currentTime + frames / fps()); }
function setSpeed(v) { $("speed").value = String(v); video.playbackRate = v; $("info-speed").textContent = v + "×"; }
function speedBy(dir) {
  const opts = [...$("speed").options].map(o => parseFloat(o.value));
  const i = Math.max(0, Math.min(opts.length - 1, opts.indexOf(video.playbackRate) + dir));
  setSpeed(opts[i]);
}
function togglePlay() { if (video.paused) video.play(); else video.pause(); }

async function savePng() {
  // The frame at its native resolution, stamped with camera id and UTC time (EXP-4).
  const d = playingDate();
  if (!d || !video.videoWidth) return;
  const canvas = document.createElement("canvas");
  canvas.width = video.videoWidth; canvas.height = video.videoHeight;
  const g = canvas.getContext("2d");
  g.drawImage(video, 0, 0);
  const text = state.camera + "  " + fmtUTC(d);
  g.font = "bold 24px monospace"; g.fillStyle = "rgba(0,0,0,.7)";
  g.fillRect(0, 0, g.measureText(text).width + 24, 40); g.fillStyle = "#fff"; g.fillText(text, 12, 28);
  const blob = await new Promise(r => canvas.toBlob(r, "image/png"));
  const name = state.camera + "_" + d.toISOString().replace(/[:.]/g, "-") + ".png";
  const a = $("png-link"); a.href = URL.createObjectURL(blob); a.download = name; a.click();
  state.lastPng = {name: name, size: blob.size, width: canvas.width, height: canvas.height};
  fetch("/api/frame-saved", {method: "POST", headers: {"Content-Type": "application/json",
        "X-CSRF-Token": document.querySelector("meta[name=csrf]").content},
        body: JSON.stringify({camera: state.camera, at: d.toISOString()})});
}

$("btn-play").onclick = togglePlay;
$("btn-prev").onclick = () => step(-1);
$("btn-next").onclick = () => step(1);
$("btn-back").onclick = () => { video.currentTime = Math.max(0, video.currentTime - 10); };
$("btn-fwd").onclick = () => { video.currentTime += 10; };
$("btn-png").onclick = savePng;
$("speed").onchange = () => setSpeed(parseFloat($("speed").value));
$("search").onsubmit = e => {
  e.preventDefault();
  const [y, m, d] = $("date").value.split("-").map(Number);
  const [hh, mm, ss] = ($("time").value + ":00").split(":").map(Number);
  play(cameraSel.value, new Date(y, m - 1, d, hh, mm, ss || 0));
};
$("date").onchange = loadTimelines;
document.querySelectorAll(".track").forEach(track => {
  track.addEventListener("click", e => {
    const rect = track.getBoundingClientRect();
    play(track.dataset.camera, new Date(dayStart + (e.clientX - rect.left) / rect.width * DAY));
  });
  track.addEventListener("keydown", e => {
    if (e.key === "Enter") {
      const d = playingDate() || new Date(Date.now() - 60e3);
      play(track.dataset.camera, d);
    }
  });
});
document.addEventListener("keydown", e => {
  if (["INPUT", "SELECT", "TEXTAREA"].includes(e.target.tagName)) return;
  const keys = {" ": togglePlay, ",": () => step(-1), ".": () => step(1), "p": savePng,
                "P": savePng, "[": () => speedBy(-1), "]": () => speedBy(1),
                "ArrowLeft": () => { video.currentTime = Math.max(0, video.currentTime - 10); },
                "ArrowRight": () => { video.currentTime += 10; }};
  if (keys[e.key] && e.target.tagName !== "BUTTON") { e.preventDefault(); keys[e.key](); }
});
const now = new Date(Date.now() - 60e3);
$("date").value = localDay(now);
$("time").value = pad(now.getHours()) + ":" + pad(now.getMinutes()) + ":" + pad(now.getSeconds());
loadTimelines();
window.beffroiPlay.play = (camera, iso) => play(camera, new Date(iso));
