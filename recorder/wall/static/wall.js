// Beffroi crisis-cell wall: every permitted camera of every commune, live only (ACC-4).
// Each tile streams fragmented MP4 (stream copy) into Media Source Extensions while the page is
// visible; hidden or closed, every stream is aborted, so the communes' relays are not pulled.
"use strict";

const wall = document.getElementById("wall");
const tiles = [];

function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;  // text only: nothing is parsed as HTML
  return node;
}

// The avc1 codec string from the init segment's avcC box (profile, compat, level bytes).
function codecOf(bytes) {
  for (let i = 4; i + 8 < bytes.length; i++) {
    if (bytes[i] === 0x61 && bytes[i + 1] === 0x76 && bytes[i + 2] === 0x63 && bytes[i + 3] === 0x43) {
      const hex = (b) => b.toString(16).padStart(2, "0");
      return "avc1." + hex(bytes[i + 5]) + hex(bytes[i + 6]) + hex(bytes[i + 7]);
    }
  }
  return "avc1.640028";
}

function setState(tile, state, text) {
  tile.badge.dataset.state = state;
  tile.badge.textContent = text;
  tile.node.dataset.state = state;
}

async function play(tile) {
  stop(tile);
  const abort = new AbortController();
  tile.abort = abort;
  setState(tile, "connecting", "connexion…");
  const video = tile.video;
  const ms = new MediaSource();
  video.src = URL.createObjectURL(ms);
  await new Promise((resolve) => ms.addEventListener("sourceopen", resolve, { once: true }));
  try {
    const resp = await fetch(`/live/${encodeURIComponent(tile.slug)}/${encodeURIComponent(tile.camera)}`,
                             { signal: abort.signal, credentials: "same-origin" });
    if (!resp.ok) throw new Error(`HTTP ${resp.status}`);
    const reader = resp.body.getReader();
    let sb = null;
    const queue = [];
    const pump = () => {
      if (!sb || sb.updating || !queue.length) return;
      sb.appendBuffer(queue.shift());
    };
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      tile.bytes += value.length;
      if (!sb) {
        sb = ms.addSourceBuffer(`video/mp4; codecs="${codecOf(value)}"`);
        sb.mode = "segments";
        sb.addEventListener("updateend", () => {
          const b = video.buffered;
          if (b.length) {
            const end = b.end(b.length - 1);
            if (end - video.currentTime > 1.0) video.currentTime = end - 0.3;  // stay live
            if (!sb.updating && video.currentTime - b.start(0) > 20) sb.remove(b.start(0), video.currentTime - 10);
          }
          pump();
        });
      }
      queue.push(value);
      pump();
      if (video.paused) video.play().catch(() => {});
    }
    throw new Error("flux terminé");
  } catch (err) {
    if (abort.signal.aborted) return;
    setState(tile, "down", "interrompu");
    tile.retry = setTimeout(() => { if (!document.hidden) play(tile); }, 3000);
  }
}

function stop(tile) {
  clearTimeout(tile.retry);
  if (tile.abort) tile.abort.abort();
  tile.abort = null;
  if (tile.video.src) {
    URL.revokeObjectURL(tile.video.src);
    tile.video.removeAttribute("src");
    tile.video.load();
  }
}

function build(data) {
  wall.replaceChildren();
  for (const commune of data.communes) {
    const section = el("section", "commune");
    section.dataset.slug = commune.slug;
    section.append(el("h2", "", commune.name));
    const grid = el("div", "grid");
    for (const cam of commune.cameras) {
      const node = el("figure", "tile");
      node.dataset.camera = `${commune.slug}/${cam.id}`;
      const video = el("video");
      video.muted = true;
      video.autoplay = true;
      video.playsInline = true;
      video.disablePictureInPicture = true;
      video.setAttribute("controlslist", "nodownload noplaybackrate noremoteplayback");
      video.addEventListener("contextmenu", (ev) => ev.preventDefault());
      const caption = el("figcaption");
      const badge = el("span", "state");
      caption.append(el("strong", "", cam.id), el("span", "where", ` ${cam.location}`), badge);
      const probe = el("span", "probe");
      caption.append(probe);
      node.append(video, caption);
      grid.append(node);
      const tile = { slug: commune.slug, camera: cam.id, node, video, badge, probe, abort: null,
                     retry: null, bytes: 0 };
      video.addEventListener("playing", () => setState(tile, "live", "en direct"));
      video.addEventListener("waiting", () => setState(tile, "connecting", "mise en mémoire…"));
      tiles.push(tile);
      showProbe(tile, cam.probe);
    }
    section.append(grid);
    wall.append(section);
  }
  if (!tiles.length) wall.append(el("p", "empty", "Aucune caméra ne vous est ouverte."));
}

function showProbe(tile, probe) {
  if (!probe) { tile.probe.textContent = ""; return; }
  tile.probe.dataset.ok = probe.ok ? "1" : "0";
  tile.probe.textContent = probe.ok ? " · relais joignable" : ` · relais en défaut (${probe.error})`;
}

async function refreshProbes() {
  const resp = await fetch("/api/wall", { credentials: "same-origin" });
  if (resp.status === 401) { window.location.assign("/login"); return; }
  const data = await resp.json();
  for (const commune of data.communes)
    for (const cam of commune.cameras) {
      const tile = tiles.find((t) => t.slug === commune.slug && t.camera === cam.id);
      if (tile) showProbe(tile, cam.probe);
    }
}

document.addEventListener("visibilitychange", () => {
  for (const tile of tiles) { if (document.hidden) { stop(tile); setState(tile, "paused", "en veille"); } else play(tile); }
});
window.addEventListener("pagehide", () => tiles.forEach(stop));

(async () => {
  const resp = await fetch("/api/wall", { credentials: "same-origin" });
  if (resp.status === 401) { window.location.assign("/login"); return; }
  build(await resp.json());
  if (!document.hidden) tiles.forEach(play);
  setInterval(refreshProbes, 30000);
})();
