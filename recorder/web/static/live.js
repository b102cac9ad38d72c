// Live grid: one fMP4 stream per camera (chunked HTTP) appended to a MediaSource buffer; the
// playhead is kept near the live edge. window.beffroiLive[camera] exposes timings for tests
// and benchmarks/console.py (first frame after page start, in ms).
"use strict";
window.beffroiLive = {};
const t0 = performance.now();

function startTile(tile) {
  const cam = tile.dataset.camera;
  const video = tile.querySelector("video");
  const state = tile.querySelector(".state");
  // firstFrame: ms since this script started; sinceNavigation: ms since the page was opened
  const info = window.beffroiLive[cam] = {firstFrame: null, sinceNavigation: null, reconnects: 0};
  let retry = 500;

  function setState(text, cls) { state.textContent = text; state.className = "state " + cls; }

  async function connect() {
    const controller = new AbortController();
    let response;
    try {
      response = await fetch("/live/" + encodeURIComponent(cam) + ".mp4",
                             {signal: controller.signal, cache: "no-store"});
    } catch (e) { return later(); }
    if (response.redirected || response.status === 401) { location.reload(); return; }  // logged out
    if (!response.ok) {
      setState(response.status === 403 ? "accès refusé" : "pas d'image", "down");
      return response.status === 403 ? null : later();
    }
    const codec = response.headers.get("X-Codec") || "avc1.640028";
    const ms = new MediaSource();
    video.src = URL.createObjectURL(ms);
    await new Promise(resolve => ms.addEventListener("sourceopen", resolve, {once: true}));
    const sb = ms.addSourceBuffer('video/mp4; codecs="' + codec + '"');
    sb.mode = "segments";
    const queue = [];
    const pump = () => {
      if (sb.updating || !queue.length) return;
      try { sb.appendBuffer(queue.shift()); } catch (e) { controller.abort(); }
    };
    sb.addEventListener("updateend", () => {
      if (video.buffered.length) {
        const end = video.buffered.end(video.buffered.length - 1);
        const start = video.buffered.start(0);
        if (end - video.currentTime > 0.6 || video.currentTime < start) video.currentTime = end - 0.1;
        if (end - start > 30 && !sb.updating) { sb.remove(start, end - 10); return; }
      }
      pump();
    });
    video.addEventListener("loadeddata", () => {
      if (info.firstFrame === null) {
        info.firstFrame = performance.now() - t0;
        info.sinceNavigation = performance.now();
      }
      setState("direct", "live"); retry = 500;
    }, {once: true});
    video.play().catch(() => {});
    const reader = response.body.getReader();
    for (;;) {
      let chunk;
      try { chunk = await reader.read(); } catch (e) { break; }
      if (chunk.done) break;
      queue.push(chunk.value); pump();
    }
    setState("reconnexion…", "down");
    info.reconnects += 1;
    later();
  }
  function later() { setTimeout(connect, retry); retry = Math.min(retry * 2, 8000); }
  connect();
}

function solo(tile) {
  document.querySelectorAll(".tile.solo").forEach(t => t.classList.remove("solo"));
  if (tile) { tile.classList.add("solo"); tile.focus(); }
}

document.querySelectorAll(".tile").forEach(tile => {
  startTile(tile);
  tile.addEventListener("keydown", e => {
    if (e.key === "Enter") solo(tile.classList.contains("solo") ? null : tile);
  });
  tile.addEventListener("dblclick", () => solo(tile.classList.contains("solo") ? null : tile));
});
document.addEventListener("keydown", e => {
  if (e.key === "Escape") solo(null);
  const n = parseInt(e.key, 10);
  const tiles = document.querySelectorAll(".tile");
  if (n >= 1 && n <= tiles.length && !e.altKey && !e.ctrlKey) solo(tiles[n - 1]);
});
