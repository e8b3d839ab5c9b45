// The video editor (#17): timeline, preview, inspector panels, shortcuts and autosave.
//
// The server owns the edit: the page reads the project's state (document + what the browser
// needs to draw it) from the #editor-state JSON block and every change goes to the server,
// which answers with the new state:
//   - structural edits (split, trim, move, add/remove a clip, a transition, add a text or a
//     sound, import captions) are named operations sent at once;
//   - field edits in the panels (a text's words, a cue, a volume, a framing) change the local
//     copy and are saved as the whole document after a short pause (autosave).
// Each save names the version it was based on; when another tab or member moved the project
// on, the server refuses (409) and the page says so and offers a reload: nothing is
// overwritten. The preview is a frame rendered by the server's render path at the playhead.
//
// Strict CSP: no inline scripts or styles; positions are set through element.style (CSSOM).
const root = document.getElementById("editor");

const FRAME_S = 1 / 30;
const MIN_CLIP_S = 0.1;
const SAVE_DELAY_MS = 600;
const TRACK_PAD = 8;
const SAFE_ZONES = {
  // Fractions of the frame kept clear of the app's own interface (top, bottom, sides).
  reels: { top: 0.14, bottom: 0.35, side: 0.06 },
  stories: { top: 0.14, bottom: 0.2, side: 0.06 },
  feed: { top: 0.0, bottom: 0.0, side: 0.0 },
};

function el(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "text") node.textContent = value;
    else if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of [].concat(children)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function clone(value) {
  return JSON.parse(JSON.stringify(value));
}

function round3(value) {
  return Math.round(value * 1000) / 1000;
}

function clock(seconds) {
  const s = Math.max(0, seconds || 0);
  const minutes = Math.floor(s / 60);
  const rest = (s - minutes * 60).toFixed(1).padStart(4, "0");
  return `${minutes}:${rest}`;
}

function csrfToken() {
  try {
    return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
  } catch (error) {
    return "";
  }
}

function isTyping(target) {
  return target instanceof Element && (target.isContentEditable || target.matches("input, textarea, select"));
}

if (root) {
  const canEdit = root.dataset.canEdit === "1";
  const library = JSON.parse(document.getElementById("editor-library").textContent);
  let state = JSON.parse(document.getElementById("editor-state").textContent);
  let doc = clone(state.document);
  let ratio = localStorage.getItem(`editor-ratio-${state.project.id}`) || state.project.ratios[0];
  let playhead = 0;
  let pxPerSecond = 0;
  let selection = null; // {type: "clip" | "text" | "audio" | "cue", id}
  let saveTimer = null;
  let queue = Promise.resolve();
  let playing = 0; // 1 forwards, -1 backwards, 0 paused
  let lastTick = 0;
  const aidsCache = new Map();

  const $ = (selector) => root.querySelector(selector);
  const statusLine = $("[data-editor-status]");
  const timeline = $("[data-editor-timeline]");
  const tracks = $("[data-editor-tracks]");
  const frameImg = $("[data-editor-frame-img]");
  const frameBox = $("[data-editor-frame]");
  const busy = $("[data-editor-frame-busy]");

  // --- Talking to the server -------------------------------------------------------------

  function showError(message, stale) {
    const box = $("[data-editor-error]");
    box.classList.toggle("d-none", !message);
    $("[data-editor-error-text]").textContent = message || "";
    $("[data-editor-reload]").hidden = !stale;
  }

  function setStatus(text) {
    statusLine.textContent = text;
  }

  async function post(url, body) {
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(body),
      credentials: "same-origin",
    });
    let data = null;
    try {
      data = await response.json();
    } catch (error) {
      data = { error: `The server answered ${response.status}; try again.` };
    }
    if (!response.ok) {
      showError(data.error || "That edit was refused.", response.status === 409);
      setStatus(response.status === 409 ? "Not saved: changed elsewhere" : "Not saved");
      // Back to what the server has: the refused change is dropped, nothing else.
      if (!saveTimer) doc = clone(state.document);
      renderAll();
      return false;
    }
    showError("");
    applyState(data);
    return true;
  }

  function send(url, makeBody) {
    queue = queue.then(() => post(url, makeBody())).catch(() => {
      showError("The server could not be reached; your last change is not saved.", false);
      setStatus("Not saved");
    });
    return queue;
  }

  function operation(op, args) {
    if (!canEdit) return Promise.resolve();
    flushSave();
    setStatus("Saving…");
    return send(root.dataset.editUrl, () => ({ base_version: state.version, op, args }));
  }

  function scheduleSave() {
    if (!canEdit) return;
    setStatus("Editing…");
    clearTimeout(saveTimer);
    saveTimer = setTimeout(flushSave, SAVE_DELAY_MS);
  }

  function flushSave() {
    if (!saveTimer) return;
    clearTimeout(saveTimer);
    saveTimer = null;
    const snapshot = clone(doc);
    setStatus("Saving…");
    send(root.dataset.editUrl, () => ({ base_version: state.version, op: "save", args: { document: snapshot } }));
  }

  function applyState(next) {
    const versionChanged = next.version !== state.version;
    // An autosave's answer is the document the page already shows: the panels stay as they
    // are, so a field being typed in keeps its focus and caret.
    const unchanged = saveTimer !== null || JSON.stringify(next.document) === JSON.stringify(doc);
    state = next;
    if (!saveTimer) doc = clone(state.document);
    if (!state.project.ratios.includes(ratio)) ratio = state.project.ratios[0];
    setStatus(state.version ? `Saved · version ${state.version}${state.note ? ` (${state.note})` : ""}` : "Not saved yet");
    document.querySelectorAll("[data-editor-base-version]").forEach((input) => {
      input.value = state.version ?? "";
    });
    if (versionChanged && playing) stop();
    if (unchanged && root.querySelector(".editor-inspector").contains(document.activeElement)) {
      renderButtons();
      renderProblem();
      renderTimeline();
    } else {
      renderAll();
    }
    if (versionChanged) requestFrame();
  }

  // --- The timeline ----------------------------------------------------------------------

  function clipDuration(clip) {
    return (clip.out - clip.in) / clip.speed;
  }

  function starts() {
    // The server's starts are for its document; recompute for the local copy (transitions
    // overlap their two clips).
    const after = new Map(doc.transitions.map((t) => [t.after, t.kind === "cut" ? 0 : t.duration]));
    const result = [];
    let at = 0;
    doc.clips.forEach((clip, i) => {
      result.push(round3(at));
      at += clipDuration(clip) - (i < doc.clips.length - 1 ? after.get(clip.id) || 0 : 0);
    });
    return result;
  }

  function totalDuration() {
    const s = starts();
    if (!doc.clips.length) return 0;
    const last = doc.clips.length - 1;
    return s[last] + clipDuration(doc.clips[last]) + (doc.end_card ? doc.end_card.duration : 0);
  }

  function fitZoom() {
    const width = timeline.clientWidth - 2 * TRACK_PAD;
    pxPerSecond = Math.max(8, Math.min(200, width / Math.max(totalDuration(), 10)));
  }

  function x(seconds) {
    return TRACK_PAD + seconds * pxPerSecond;
  }

  function place(node, start, length) {
    node.style.left = `${x(start)}px`;
    node.style.width = `${Math.max(4, length * pxPerSecond)}px`;
  }

  function assetOf(id) {
    return state.assets[String(id)] || null;
  }

  async function aids(assetId) {
    if (!aidsCache.has(assetId)) {
      const entry = assetOf(assetId);
      aidsCache.set(
        assetId,
        entry ? fetch(entry.aids, { credentials: "same-origin" }).then((r) => (r.ok ? r.json() : null)).catch(() => null) : Promise.resolve(null),
      );
    }
    return aidsCache.get(assetId);
  }

  function drawFilmstrip(node, clip) {
    aids(clip.asset).then((data) => {
      if (!data || !data.filmstrip || !node.isConnected) return;
      const strip = data.filmstrip;
      const height = node.clientHeight || 56;
      const tileWidth = (strip.tile_w * height) / strip.tile_h;
      const width = node.clientWidth;
      const holder = el("div", { class: "editor-filmstrip", "aria-hidden": "true" });
      for (let left = 0; left < width; left += tileWidth) {
        const source = clip.in + (left / Math.max(width, 1)) * (clip.out - clip.in);
        const index = Math.min(strip.count - 1, Math.max(0, Math.floor(source / (strip.interval || 1))));
        const tile = el("div", { class: "editor-tile" });
        const column = index % strip.columns;
        const row = Math.floor(index / strip.columns);
        const scale = height / strip.tile_h;
        tile.style.left = `${left}px`;
        tile.style.width = `${tileWidth}px`;
        tile.style.backgroundImage = `url("${strip.url}")`;
        tile.style.backgroundSize = `${strip.columns * strip.tile_w * scale}px auto`;
        tile.style.backgroundPosition = `-${column * tileWidth}px -${row * height}px`;
        holder.append(tile);
      }
      node.prepend(holder);
    });
  }

  let WaveSurfer = null;
  const waveLoading = import(root.dataset.wavesurferUrl || "/static/vendor/wavesurfer/wavesurfer.esm.js")
    .then((module) => {
      WaveSurfer = module.default;
    })
    .catch(() => null);

  function drawWaveform(node, assetId, from, to) {
    Promise.all([aids(assetId), waveLoading]).then(([data]) => {
      if (!data || !data.waveform || !WaveSurfer || !node.isConnected) return;
      const perSecond = data.waveform.per_second;
      const peaks = data.waveform.peaks.slice(Math.floor(from * perSecond), Math.ceil(to * perSecond));
      if (peaks.length < 2) return;
      const holder = el("div", { class: "editor-wave", "aria-hidden": "true" });
      node.append(holder);
      WaveSurfer.create({
        container: holder,
        peaks: [peaks],
        duration: Math.max(to - from, 0.01),
        height: holder.clientHeight || 28,
        interact: false,
        cursorWidth: 0,
        waveColor: "rgba(255, 255, 255, 0.75)",
        normalize: true,
        cspNonce: root.dataset.styleNonce,
      });
    });
  }

  function renderRuler() {
    const ruler = $("[data-editor-ruler]");
    ruler.replaceChildren();
    const total = Math.max(totalDuration(), 10);
    const step = pxPerSecond > 60 ? 1 : pxPerSecond > 20 ? 2 : pxPerSecond > 8 ? 5 : 10;
    for (let s = 0; s <= total + step; s += step) {
      const tick = el("span", { class: "editor-tick", text: clock(s).replace(/\.0$/, "") });
      tick.style.left = `${x(s)}px`;
      ruler.append(tick);
    }
  }

  function selectable(node, type, id) {
    node.dataset.selectType = type;
    node.dataset.selectId = id;
    node.tabIndex = 0;
    if (selection && selection.type === type && selection.id === id) node.classList.add("is-selected");
    node.addEventListener("focus", () => select(type, id, false));
  }

  function renderClips() {
    const track = $('[data-editor-track="clips"]');
    track.replaceChildren();
    const s = starts();
    doc.clips.forEach((clip, i) => {
      const asset = assetOf(clip.asset);
      const node = el("div", { class: "editor-clip", "data-testid": "clip", "data-clip-id": clip.id, role: "button", "aria-label": `Clip ${i + 1}: ${asset ? asset.name : "missing file"}, ${clipDuration(clip).toFixed(1)} s` }, [
        el("span", { class: "editor-clip-label", text: `${asset ? asset.name : "Missing file"} · ${clipDuration(clip).toFixed(1)} s${clip.speed !== 1 ? ` · ${clip.speed}×` : ""}${clip.muted ? " · muted" : ""}` }),
      ]);
      if (!asset || !asset.ready) node.classList.add("is-missing");
      place(node, s[i], clipDuration(clip));
      selectable(node, "clip", clip.id);
      if (canEdit) {
        const left = el("span", { class: "editor-handle editor-handle-left", "data-testid": "trim-start", "aria-hidden": "true" });
        const right = el("span", { class: "editor-handle editor-handle-right", "data-testid": "trim-end", "aria-hidden": "true" });
        node.append(left, right);
        left.addEventListener("pointerdown", (event) => startTrim(event, clip, node, "in"));
        right.addEventListener("pointerdown", (event) => startTrim(event, clip, node, "out"));
        node.addEventListener("pointerdown", (event) => startMove(event, clip, node));
      }
      const transition = doc.transitions.find((t) => t.after === clip.id && t.kind !== "cut");
      if (transition && i < doc.clips.length - 1) {
        node.append(el("span", { class: "editor-transition", title: `${transition.kind} ${transition.duration} s`, text: transition.kind === "fade" ? "◐" : "⇢" }));
      }
      track.append(node);
      drawFilmstrip(node, clip);
      if (asset && asset.has_audio && !clip.muted) drawWaveform(node, clip.asset, clip.in, clip.out);
    });
    if (doc.end_card && doc.clips.length) {
      const last = doc.clips.length - 1;
      const card = el("div", { class: "editor-clip editor-endcard", text: "End card" });
      place(card, s[last] + clipDuration(doc.clips[last]), doc.end_card.duration);
      track.append(card);
    }
    if (!doc.clips.length) {
      track.append(el("p", { class: "editor-empty small", text: canEdit ? "The timeline is empty: add footage from the Clip panel." : "The timeline is empty." }));
    }
  }

  function renderSpans(kind, items, label) {
    const track = $(`[data-editor-track="${kind}"]`);
    track.replaceChildren();
    items.forEach((item, i) => {
      const id = kind === "captions" ? String(i) : item.id;
      const node = el("div", { class: `editor-span editor-span-${kind}`, "data-testid": `${kind}-span`, role: "button", "aria-label": `${label} ${i + 1}: ${item.text}` }, [
        el("span", { class: "editor-clip-label", text: item.text }),
      ]);
      place(node, item.start, item.end - item.start);
      selectable(node, kind === "captions" ? "cue" : "text", id);
      if (canEdit) node.addEventListener("pointerdown", (event) => startSlide(event, item, node));
      track.append(node);
    });
  }

  function renderAudio() {
    const holder = $('[data-editor-track="audio"]');
    holder.replaceChildren();
    doc.audio.forEach((track, i) => {
      const asset = assetOf(track.asset);
      const row = el("div", { class: "editor-track editor-track-audio" });
      const node = el("div", { class: `editor-span editor-span-audio editor-audio-${track.role}`, "data-testid": "audio-span", role: "button", "aria-label": `${track.role === "music" ? "Music" : "Voice"} ${i + 1}: ${asset ? asset.name : "missing file"}` }, [
        el("span", { class: "editor-clip-label", text: `${track.role === "music" ? "♪" : "🎙"} ${asset ? asset.name : "Missing file"}${track.duck ? " · ducked" : ""}` }),
      ]);
      place(node, track.start, track.out - track.in);
      selectable(node, "audio", track.id);
      if (canEdit) node.addEventListener("pointerdown", (event) => startSlide(event, track, node));
      row.append(node);
      holder.append(row);
      drawWaveform(node, track.asset, track.in, track.out);
    });
  }

  function renderPlayhead() {
    const line = $("[data-editor-playhead]");
    line.style.left = `${x(playhead)}px`;
    $("[data-editor-time]").textContent = `${clock(playhead)} / ${clock(totalDuration())}`;
  }

  function renderTimeline() {
    if (!pxPerSecond) fitZoom();
    const width = x(Math.max(totalDuration(), 10)) + TRACK_PAD + 40;
    tracks.style.width = `${Math.max(width, timeline.clientWidth)}px`;
    renderRuler();
    renderClips();
    renderSpans("texts", doc.texts, "Text");
    renderSpans("captions", doc.captions, "Caption");
    renderAudio();
    renderPlayhead();
  }

  // --- Pointer interactions ----------------------------------------------------------------

  function drag(event, onMove, onEnd) {
    event.preventDefault();
    event.stopPropagation();
    const startX = event.clientX;
    let moved = false;
    const move = (e) => {
      const dx = e.clientX - startX;
      if (Math.abs(dx) > 3) moved = true;
      if (moved) onMove(dx);
    };
    const up = (e) => {
      document.removeEventListener("pointermove", move);
      document.removeEventListener("pointerup", up);
      onEnd(moved, e.clientX - startX);
    };
    document.addEventListener("pointermove", move);
    document.addEventListener("pointerup", up);
  }

  function startTrim(event, clip, node, edge) {
    select("clip", clip.id, false);
    const source = assetOf(clip.asset);
    const limit = source && source.kind === "video" && source.duration ? source.duration : Infinity;
    let value = edge === "in" ? clip.in : clip.out;
    const originalLeft = parseFloat(node.style.left);
    const originalWidth = parseFloat(node.style.width);
    drag(
      event,
      (dx) => {
        const delta = (dx / pxPerSecond) * clip.speed;
        if (edge === "in") {
          value = Math.min(Math.max(0, clip.in + delta), clip.out - MIN_CLIP_S * clip.speed);
          const shift = ((value - clip.in) / clip.speed) * pxPerSecond;
          node.style.left = `${originalLeft + shift}px`;
          node.style.width = `${originalWidth - shift}px`;
        } else {
          value = Math.max(Math.min(limit, clip.out + delta), clip.in + MIN_CLIP_S * clip.speed);
          node.style.width = `${originalWidth + ((value - clip.out) / clip.speed) * pxPerSecond}px`;
        }
      },
      (moved) => {
        if (!moved) return;
        const args = { clip: clip.id, in: round3(edge === "in" ? value : clip.in), out: round3(edge === "out" ? value : clip.out) };
        operation("trim", args);
      },
    );
  }

  function startMove(event, clip, node) {
    select("clip", clip.id, false);
    const from = doc.clips.findIndex((c) => c.id === clip.id);
    const originalLeft = parseFloat(node.style.left);
    node.classList.add("is-dragging");
    drag(
      event,
      (dx) => {
        node.style.left = `${originalLeft + dx}px`;
      },
      (moved, dx) => {
        node.classList.remove("is-dragging");
        if (!moved) {
          setPlayheadFromEvent(event);
          return;
        }
        const centre = (originalLeft + dx + parseFloat(node.style.width) / 2 - TRACK_PAD) / pxPerSecond;
        const s = starts();
        let index = 0;
        doc.clips.forEach((other, i) => {
          if (i !== from && centre > s[i] + clipDuration(other) / 2) index += 1;
        });
        if (index !== from) operation("move", { clip: clip.id, index });
        else renderTimeline();
      },
    );
  }

  function startSlide(event, item, node) {
    const originalLeft = parseFloat(node.style.left);
    drag(
      event,
      (dx) => {
        node.style.left = `${Math.max(TRACK_PAD, originalLeft + dx)}px`;
      },
      (moved, dx) => {
        if (!moved) {
          setPlayheadFromEvent(event);
          return;
        }
        const shift = Math.max(-item.start, dx / pxPerSecond);
        item.start = round3(item.start + shift);
        if ("end" in item) item.end = round3(item.end + shift);
        renderAll();
        scheduleSave();
      },
    );
  }

  function setPlayheadFromEvent(event) {
    const box = tracks.getBoundingClientRect();
    setPlayhead((event.clientX - box.left - TRACK_PAD) / pxPerSecond);
  }

  function setPlayhead(seconds) {
    playhead = Math.max(0, Math.min(totalDuration(), round3(seconds)));
    renderPlayhead();
    requestFrame();
  }

  tracks.addEventListener("pointerdown", (event) => {
    if (event.target.closest(".editor-clip, .editor-span")) return;
    setPlayheadFromEvent(event);
  });

  // --- Selection and the inspector ---------------------------------------------------------

  function select(type, id, focusPanel = true) {
    selection = { type, id };
    root.querySelectorAll(".is-selected").forEach((node) => node.classList.remove("is-selected"));
    root.querySelectorAll(`[data-select-type="${type}"][data-select-id="${CSS.escape(id)}"]`).forEach((node) => node.classList.add("is-selected"));
    renderPanels();
    if (focusPanel) {
      const tab = { clip: "#tab-clip", text: "#tab-text", cue: "#tab-captions", audio: "#tab-audio" }[type];
      if (tab && window.bootstrap) window.bootstrap.Tab.getOrCreateInstance(document.querySelector(tab)).show();
    }
  }

  function field(label, input, help) {
    const id = `f-${Math.random().toString(36).slice(2, 9)}`;
    input.id = id;
    if (!canEdit) input.disabled = true;
    return el("div", { class: "editor-field" }, [el("label", { class: "form-label small mb-0", for: id, text: label }), input, help ? el("div", { class: "form-text", text: help }) : null]);
  }

  function numberInput(value, { min, max, step = 0.1 }, onChange) {
    const input = el("input", { type: "number", class: "form-control form-control-sm", value: value ?? "", min, max, step });
    input.addEventListener("change", () => {
      const number = Number(input.value);
      if (input.value === "" || !Number.isFinite(number)) return;
      onChange(round3(number));
    });
    return input;
  }

  function selectInput(value, options, onChange) {
    const input = el("select", { class: "form-select form-select-sm" }, options.map(([v, label]) => el("option", { value: v, text: label, selected: String(v) === String(value) })));
    input.addEventListener("change", () => onChange(input.value));
    return input;
  }

  function textInput(value, onInput, { area = false, max = 200 } = {}) {
    const input = el(area ? "textarea" : "input", { class: "form-control form-control-sm", maxlength: max, rows: area ? 2 : null });
    input.value = value ?? "";
    input.addEventListener("input", () => onInput(input.value));
    return input;
  }

  function removeButton(label, onClick) {
    return canEdit ? el("button", { type: "button", class: "btn btn-sm btn-outline-danger", "aria-label": label, onclick: onClick }, [el("i", { class: "bi bi-trash", "aria-hidden": "true" })]) : null;
  }

  function clipAtPlayhead() {
    const s = starts();
    for (let i = doc.clips.length - 1; i >= 0; i -= 1) {
      if (playhead >= s[i]) return playhead < s[i] + clipDuration(doc.clips[i]) ? doc.clips[i] : null;
    }
    return null;
  }

  function selectedClip() {
    if (selection && selection.type === "clip") return doc.clips.find((c) => c.id === selection.id) || null;
    return clipAtPlayhead();
  }

  function renderClipPanel() {
    const panel = $("[data-editor-clip-panel]");
    panel.replaceChildren();
    const clip = selectedClip();
    if (!clip) {
      panel.append(el("p", { class: "text-body-secondary small mb-0", text: "Select a clip on the timeline to trim it, change its speed, sound or framing." }));
      return;
    }
    const index = doc.clips.indexOf(clip);
    const asset = assetOf(clip.asset);
    const framing = clip.framing[ratio] || { mode: "fill" };
    const grid = el("div", { class: "editor-grid" });
    grid.append(
      field("In (s)", numberInput(clip.in, { min: 0, step: 0.1 }, (v) => operation("trim", { clip: clip.id, in: v, out: clip.out }))),
      field("Out (s)", numberInput(clip.out, { min: 0, max: asset && asset.duration ? asset.duration : null, step: 0.1 }, (v) => operation("trim", { clip: clip.id, in: clip.in, out: v }))),
      field("Speed", selectInput(clip.speed, [[0.5, "0.5×"], [0.75, "0.75×"], [1, "1×"], [1.25, "1.25×"], [1.5, "1.5×"], [2, "2×"]], (v) => { clip.speed = Number(v); renderAll(); scheduleSave(); })),
      field("Volume", numberInput(clip.volume, { min: 0, max: 2, step: 0.1 }, (v) => { clip.volume = v; scheduleSave(); }), "1 is as recorded; up to 2."),
    );
    const mute = el("input", { type: "checkbox", class: "form-check-input", id: `mute-${clip.id}`, checked: clip.muted, disabled: !canEdit });
    mute.addEventListener("change", () => { clip.muted = mute.checked; renderAll(); scheduleSave(); });
    const framingGrid = el("div", { class: "editor-grid" });
    const mode = selectInput(framing.mode, [["fill", "Fill (crop)"], ["fit", "Fit (bars)"], ["blur", "Blurred background"], ["crop", "Crop a region"]], (v) => {
      clip.framing[ratio] = v === "crop" ? { mode: "crop", x: 0.25, y: 0, w: 0.5, h: 1 } : { mode: v };
      renderAll();
      scheduleSave();
    });
    framingGrid.append(field(`Framing in ${ratio}`, mode));
    if (framing.mode === "crop") {
      for (const key of ["x", "y", "w", "h"]) {
        framingGrid.append(field({ x: "Left", y: "Top", w: "Width", h: "Height" }[key], numberInput(framing[key], { min: key === "w" || key === "h" ? 0.01 : 0, max: 1, step: 0.05 }, (v) => { framing[key] = v; scheduleSave(); }), "Fraction of the source"));
      }
    }
    panel.append(
      el("p", { class: "small mb-2" }, [el("strong", { text: `Clip ${index + 1}` }), ` · ${asset ? asset.name : "missing file"} · ${clipDuration(clip).toFixed(2)} s on the timeline`]),
      grid,
      el("div", { class: "form-check my-2" }, [mute, el("label", { class: "form-check-label small", for: `mute-${clip.id}`, text: "Mute this clip's sound" })]),
      framingGrid,
    );
    if (index < doc.clips.length - 1) {
      const transition = doc.transitions.find((t) => t.after === clip.id) || { kind: "cut", duration: 0.5 };
      const kind = selectInput(transition.kind, [["cut", "Cut"], ["fade", "Fade"], ["slide", "Slide"]], (v) => operation("transition", { after: clip.id, kind: v, duration: transition.duration || 0.5 }));
      const length = numberInput(transition.kind === "cut" ? 0.5 : transition.duration, { min: 0.1, max: 2, step: 0.1 }, (v) => operation("transition", { after: clip.id, kind: transition.kind === "cut" ? "fade" : transition.kind, duration: v }));
      panel.append(el("div", { class: "editor-grid mt-2" }, [field("Into the next clip", kind), transition.kind !== "cut" ? field("Transition (s)", length) : null]));
    }
  }

  function renderTextPanel() {
    const panel = $("[data-editor-text-panel]");
    panel.replaceChildren();
    if (!doc.texts.length) {
      panel.append(el("p", { class: "text-body-secondary small mb-0", text: "No text on screen yet. Titles, body text and a call to action are placed where you say, relative to the frame (0 = left/top, 1 = right/bottom)." }));
    }
    doc.texts.forEach((text, i) => {
      const card = el("fieldset", { class: "editor-item", "data-testid": "text-item" }, [el("legend", { class: "small fw-semibold", text: `Text ${i + 1}` })]);
      if (selection && selection.type === "text" && selection.id === text.id) card.classList.add("is-selected");
      card.append(
        field("Words", textInput(text.text, (v) => { text.text = v; renderSpans("texts", doc.texts, "Text"); scheduleSave(); }, { area: true, max: 200 })),
        el("div", { class: "editor-grid" }, [
          field("Style", selectInput(text.style, [["title", "Title"], ["body", "Body"], ["cta", "Call to action"]], (v) => { text.style = v; scheduleSave(); })),
          field("Across (0–1)", numberInput(text.x, { min: 0, max: 1, step: 0.05 }, (v) => { text.x = v; scheduleSave(); })),
          field("Down (0–1)", numberInput(text.y, { min: 0, max: 1, step: 0.05 }, (v) => { text.y = v; scheduleSave(); })),
          field("From (s)", numberInput(text.start, { min: 0, step: 0.1 }, (v) => { text.start = v; renderAll(); scheduleSave(); })),
          field("To (s)", numberInput(text.end, { min: 0, step: 0.1 }, (v) => { text.end = v; renderAll(); scheduleSave(); })),
        ]),
        removeButton(`Delete text ${i + 1}`, () => operation("remove_text", { id: text.id })),
      );
      panel.append(card);
    });
  }

  function renderCaptionPanel() {
    const panel = $("[data-editor-caption-panel]");
    panel.replaceChildren();
    panel.append(
      el("div", { class: "editor-grid mb-2" }, [
        field("Captions sit", selectInput(doc.caption_style.position, [["bottom", "At the bottom"], ["middle", "In the middle"], ["top", "At the top"]], (v) => { doc.caption_style.position = v; scheduleSave(); })),
        field("Size", selectInput(doc.caption_style.size, [["s", "Small"], ["m", "Medium"], ["l", "Large"]], (v) => { doc.caption_style.size = v; scheduleSave(); })),
      ]),
    );
    if (!doc.captions.length) {
      panel.append(el("p", { class: "text-body-secondary small mb-0", text: "No captions yet: add them one by one at the playhead, import an SRT or WebVTT file, or make them from the speech." }));
      return;
    }
    const table = el("table", { class: "table table-sm align-middle mb-0 editor-cues", "data-testid": "cues" }, [
      el("thead", {}, el("tr", {}, [el("th", { scope: "col", text: "From (s)" }), el("th", { scope: "col", text: "To (s)" }), el("th", { scope: "col", text: "Caption" }), el("th", { scope: "col" }, el("span", { class: "visually-hidden", text: "Actions" }))])),
    ]);
    const body = el("tbody");
    doc.captions.forEach((cue, i) => {
      const row = el("tr", { "data-testid": "cue" });
      if (selection && selection.type === "cue" && selection.id === String(i)) row.classList.add("table-active");
      const start = numberInput(cue.start, { min: 0, step: 0.1 }, (v) => { cue.start = v; renderAll(); scheduleSave(); });
      const end = numberInput(cue.end, { min: 0, step: 0.1 }, (v) => { cue.end = v; renderAll(); scheduleSave(); });
      const words = textInput(cue.text, (v) => { cue.text = v; renderSpans("captions", doc.captions, "Caption"); scheduleSave(); }, { max: 300 });
      [start, end, words].forEach((input) => { input.disabled = !canEdit; });
      start.setAttribute("aria-label", `Caption ${i + 1} starts at`);
      end.setAttribute("aria-label", `Caption ${i + 1} ends at`);
      words.setAttribute("aria-label", `Caption ${i + 1} text`);
      row.append(el("td", { class: "editor-cue-time" }, start), el("td", { class: "editor-cue-time" }, end), el("td", {}, words), el("td", {}, removeButton(`Delete caption ${i + 1}`, () => { doc.captions.splice(i, 1); renderAll(); scheduleSave(); })));
      body.append(row);
    });
    table.append(body);
    panel.append(el("div", { class: "table-responsive" }, table));
  }

  function renderAudioPanel() {
    const panel = $("[data-editor-audio-panel]");
    panel.replaceChildren();
    if (!doc.audio.length) {
      panel.append(el("p", { class: "text-body-secondary small mb-0", text: "No music or voice-over yet. Music is lowered automatically while someone speaks (ducking)." }));
    }
    doc.audio.forEach((track, i) => {
      const asset = assetOf(track.asset);
      const card = el("fieldset", { class: "editor-item", "data-testid": "audio-item" }, [el("legend", { class: "small fw-semibold", text: `${track.role === "music" ? "Music" : "Voice"} · ${asset ? asset.name : "missing file"}` })]);
      if (selection && selection.type === "audio" && selection.id === track.id) card.classList.add("is-selected");
      const duck = el("input", { type: "checkbox", class: "form-check-input", id: `duck-${track.id}`, checked: track.duck, disabled: !canEdit });
      duck.addEventListener("change", () => { track.duck = duck.checked; scheduleSave(); });
      card.append(
        el("div", { class: "editor-grid" }, [
          field("Starts at (s)", numberInput(track.start, { min: 0, step: 0.1 }, (v) => { track.start = v; renderAll(); scheduleSave(); })),
          field("From the file (s)", numberInput(track.in, { min: 0, step: 0.1 }, (v) => { track.in = v; renderAll(); scheduleSave(); })),
          field("To (s)", numberInput(track.out, { min: 0, max: asset && asset.duration ? asset.duration : null, step: 0.1 }, (v) => { track.out = v; renderAll(); scheduleSave(); })),
          field("Volume", numberInput(track.volume, { min: 0, max: 2, step: 0.05 }, (v) => { track.volume = v; scheduleSave(); })),
          field("Fade in (s)", numberInput(track.fade_in, { min: 0, step: 0.5 }, (v) => { track.fade_in = v; scheduleSave(); })),
          field("Fade out (s)", numberInput(track.fade_out, { min: 0, step: 0.5 }, (v) => { track.fade_out = v; scheduleSave(); })),
        ]),
        el("div", { class: "d-flex justify-content-between align-items-center mt-2" }, [
          el("div", { class: "form-check mb-0" }, [duck, el("label", { class: "form-check-label small", for: `duck-${track.id}`, text: "Lower under speech" })]),
          removeButton(`Delete ${track.role} ${i + 1}`, () => operation("remove_audio", { id: track.id })),
        ]),
      );
      panel.append(card);
    });
  }

  function renderEndPanel() {
    const panel = $("[data-editor-end-panel]");
    panel.replaceChildren();
    const hasCard = Boolean(doc.end_card);
    const toggle = el("input", { type: "checkbox", class: "form-check-input", id: "end-card-on", checked: hasCard, disabled: !canEdit, "data-testid": "end-card-toggle" });
    toggle.addEventListener("change", () => {
      doc.end_card = toggle.checked ? { text: "Shop now", duration: 2 } : null;
      renderAll();
      scheduleSave();
    });
    panel.append(el("div", { class: "form-check mb-2" }, [toggle, el("label", { class: "form-check-label", for: "end-card-on", text: "End with a card carrying the call to action" })]));
    if (hasCard) {
      panel.append(
        el("div", { class: "editor-grid mb-3" }, [
          field("Words", textInput(doc.end_card.text, (v) => { doc.end_card.text = v; scheduleSave(); }, { max: 120 })),
          field("Lasts (s)", numberInput(doc.end_card.duration, { min: 0.5, max: 10, step: 0.5 }, (v) => { doc.end_card.duration = v; renderAll(); scheduleSave(); })),
        ]),
      );
    }
    const images = library.filter((a) => a.kind === "image");
    const logo = doc.logo;
    const choose = selectInput(logo ? logo.asset : "", [["", "No logo"], ...images.map((a) => [a.id, a.name])], (v) => {
      doc.logo = v ? { asset: Number(v), x: logo ? logo.x : 0.9, y: logo ? logo.y : 0.08, scale: logo ? logo.scale : 0.15 } : null;
      renderAll();
      scheduleSave();
    });
    panel.append(field("Logo", choose, images.length ? "An image from the library, shown for the whole video." : "Upload a PNG logo to the media library to use one."));
    if (logo) {
      panel.append(
        el("div", { class: "editor-grid" }, [
          field("Across (0–1)", numberInput(logo.x, { min: 0, max: 1, step: 0.05 }, (v) => { logo.x = v; scheduleSave(); })),
          field("Down (0–1)", numberInput(logo.y, { min: 0, max: 1, step: 0.05 }, (v) => { logo.y = v; scheduleSave(); })),
          field("Size (of the width)", numberInput(logo.scale, { min: 0.02, max: 1, step: 0.01 }, (v) => { logo.scale = v; scheduleSave(); })),
        ]),
      );
    }
  }

  function renderLibrarySelects() {
    root.querySelectorAll("[data-editor-library]").forEach((select) => {
      const kinds = select.dataset.editorLibrary.split(",");
      const audioOnly = kinds[0] === "audio";
      const options = library
        .filter((a) => kinds.includes(a.kind) && (!audioOnly || a.kind === "audio" || a.has_audio))
        .map((a) => el("option", { value: a.id, text: `${a.name}${a.duration ? ` (${a.duration.toFixed(1)} s)` : ""}` }));
      select.replaceChildren(...(options.length ? options : [el("option", { value: "", text: "Nothing suitable in the library yet" })]));
    });
  }

  function renderPanels() {
    renderClipPanel();
    renderTextPanel();
    renderCaptionPanel();
    renderAudioPanel();
    renderEndPanel();
  }

  function renderRatios() {
    const group = $("[data-editor-ratios]");
    group.replaceChildren(
      ...state.project.ratios.map((r) =>
        el("button", { type: "button", class: `btn ${r === ratio ? "btn-primary" : "btn-outline-primary"}`, "aria-pressed": r === ratio ? "true" : "false", "data-testid": `ratio-${r.replace(":", "x")}`, text: r, onclick: () => { ratio = r; localStorage.setItem(`editor-ratio-${state.project.id}`, r); renderRatios(); renderPanels(); requestFrame(); } }),
      ),
    );
    frameBox.dataset.ratio = ratio;
    renderSafeZone();
  }

  function renderSafeZone() {
    const zone = $("[data-editor-safe-zone]");
    const choice = SAFE_ZONES[$("[data-editor-safe]").value];
    zone.hidden = !choice;
    if (!choice) return;
    zone.querySelector(".editor-safe-top").style.height = `${choice.top * 100}%`;
    zone.querySelector(".editor-safe-bottom").style.height = `${choice.bottom * 100}%`;
    zone.querySelectorAll(".editor-safe-side").forEach((side) => { side.style.width = `${choice.side * 100}%`; });
  }

  function renderProblem() {
    const box = $("[data-editor-problem]");
    box.hidden = !state.problem || !doc.clips.length;
    box.textContent = state.problem ? `Can't render yet: ${state.problem}` : "";
  }

  function renderButtons() {
    const undo = $("[data-editor-undo]");
    const redo = $("[data-editor-redo]");
    if (undo) undo.disabled = !state.can_undo;
    if (redo) redo.disabled = !state.can_redo;
  }

  function renderAll() {
    renderButtons();
    renderProblem();
    renderRatios();
    renderTimeline();
    renderPanels();
  }

  // --- The preview -------------------------------------------------------------------------

  let frameTimer = null;
  let frameWanted = "";

  function frameUrl() {
    const params = new URLSearchParams({ v: state.version ?? "", ratio, t: playhead.toFixed(3) });
    return `${root.dataset.frameUrl}?${params}`;
  }

  function requestFrame(immediate = false) {
    clearTimeout(frameTimer);
    const empty = !doc.clips.length || state.version === null;
    $("[data-editor-frame-empty]").hidden = !empty;
    if (empty) frameImg.hidden = true;
    if (empty) return;
    frameTimer = setTimeout(() => {
      frameWanted = frameUrl();
      busy.hidden = false;
      frameImg.src = frameWanted;
    }, immediate ? 0 : 120);
  }

  frameImg.addEventListener("load", () => {
    busy.hidden = true;
    frameImg.hidden = false;
    if (playing && video.hidden) tick();
  });
  frameImg.addEventListener("error", () => {
    busy.hidden = true;
    frameImg.hidden = true;
    stop();
    // Ask again to read why (the image element can't show the server's words).
    fetch(frameWanted, { credentials: "same-origin" })
      .then((r) => {
        if (r.ok) return "";
        const plain = (r.headers.get("Content-Type") || "").startsWith("text/plain");
        return plain ? r.text().then((t) => t.slice(0, 300)) : `the server answered ${r.status}.`;
      })
      .then((text) => {
        if (text) {
          const box = $("[data-editor-problem]");
          box.hidden = false;
          box.textContent = `No preview: ${text}`;
        }
      })
      .catch(() => null);
  });

  function tick() {
    const now = performance.now();
    const elapsed = Math.max(FRAME_S, (now - lastTick) / 1000);
    lastTick = now;
    const next = playhead + playing * elapsed;
    if (next >= totalDuration() || next <= 0) {
      setPlayhead(next);
      stop();
      return;
    }
    playhead = round3(next);
    renderPlayhead();
    requestFrame(true);
  }

  // Playing forwards uses the 540p preview video of this version and ratio, rendered on the
  // server (once per version and ratio); until it is ready, and backwards (J), the preview
  // steps through frames at the playhead as fast as they render.
  const video = $("[data-editor-video]");
  const note = $("[data-editor-preview-note]");
  let preview = null; // {version, ratio, url}
  let previewKey = "";

  function previewReady() {
    return preview && preview.version === state.version && preview.ratio === ratio ? preview : null;
  }

  function showPlaying(on) {
    const button = $("[data-editor-play]");
    button.replaceChildren(el("i", { class: on ? "bi bi-pause-fill" : "bi bi-play-fill", "aria-hidden": "true" }));
    button.setAttribute("aria-label", on ? "Pause (space)" : "Play (space)");
  }

  function playVideo(ready) {
    if (video.getAttribute("src") !== ready.url) video.src = ready.url;
    video.hidden = false;
    video.currentTime = playhead;
    video.play().catch(() => stop());
  }

  function followPreview(data) {
    if (data.url) {
      preview = { version: data.version, ratio: data.ratio, url: data.url };
      previewKey = "";
      note.textContent = "Playing the 540p preview of this version.";
      if (playing > 0 && previewReady()) playVideo(preview);
      return;
    }
    if (data.status === "failed" || data.status === "cancelled" || data.error) {
      previewKey = "";
      note.textContent = `No preview video: ${data.error || data.message || "it could not be rendered."}`;
      return;
    }
    note.textContent = `Preparing the preview video… ${data.progress || 0} %`;
    setTimeout(() => {
      fetch(data.status_url, { credentials: "same-origin" })
        .then((r) => r.json())
        .then(followPreview)
        .catch(() => { previewKey = ""; });
    }, 1000);
  }

  function ensurePreview() {
    const key = `${state.version}-${ratio}`;
    if (previewKey === key || previewReady()) return;
    previewKey = key;
    note.textContent = "Preparing the preview video…";
    fetch(root.dataset.previewUrl, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify({ ratio }),
      credentials: "same-origin",
    })
      .then((r) => r.json())
      .then(followPreview)
      .catch(() => { previewKey = ""; });
  }

  video.addEventListener("timeupdate", () => {
    if (video.hidden) return;
    playhead = round3(video.currentTime);
    renderPlayhead();
  });
  video.addEventListener("ended", () => stop());

  function play(direction) {
    if (!doc.clips.length || state.version === null) return;
    if (direction > 0 && playhead >= totalDuration() - FRAME_S) playhead = 0;
    playing = direction;
    showPlaying(true);
    if (direction > 0) {
      const ready = previewReady();
      if (ready) {
        playVideo(ready);
        return;
      }
      ensurePreview();
    }
    lastTick = performance.now();
    tick();
  }

  function stop() {
    playing = 0;
    showPlaying(false);
    if (!video.hidden) {
      video.pause();
      playhead = round3(Math.min(video.currentTime, totalDuration()));
      video.hidden = true;
      renderPlayhead();
      requestFrame(true);
    }
  }

  // --- Commands ----------------------------------------------------------------------------

  function split() {
    const clip = clipAtPlayhead();
    if (!clip) {
      showError("Put the playhead over a clip to split it.", false);
      return;
    }
    operation("split", { clip: clip.id, at: playhead });
  }

  function removeSelected() {
    if (!selection) return;
    if (selection.type === "clip") operation("remove_clip", { clip: selection.id });
    else if (selection.type === "text") operation("remove_text", { id: selection.id });
    else if (selection.type === "audio") operation("remove_audio", { id: selection.id });
    else if (selection.type === "cue") {
      doc.captions.splice(Number(selection.id), 1);
      renderAll();
      scheduleSave();
    }
    selection = null;
  }

  function moveSelected(step) {
    const clip = selectedClip();
    if (!clip) return;
    const index = doc.clips.indexOf(clip) + step;
    if (index < 0 || index >= doc.clips.length) return;
    selection = { type: "clip", id: clip.id };
    operation("move", { clip: clip.id, index });
  }

  function walk(url) {
    if (!canEdit) return;
    flushSave();
    setStatus("Saving…");
    send(url, () => ({ base_version: state.version }));
  }

  function zoom(step) {
    pxPerSecond = Math.max(4, Math.min(400, pxPerSecond * (step > 0 ? 1.5 : 1 / 1.5)));
    renderTimeline();
  }

  function reload() {
    // Whatever was typed is saved first (it may be refused as stale: then the reload shows
    // the version that won); then the latest state replaces the page's.
    flushSave();
    queue = queue.then(() => fetch(root.dataset.stateUrl, { credentials: "same-origin" }))
      .then((r) => r.json())
      .then((data) => {
        showError("");
        applyState(data);
      })
      .catch(() => showError("The server could not be reached; reload the page.", false));
  }

  root.addEventListener("click", (event) => {
    const target = event.target.closest("button");
    if (!target) return;
    if (target.matches("[data-editor-undo]")) walk(root.dataset.undoUrl);
    else if (target.matches("[data-editor-redo]")) walk(root.dataset.redoUrl);
    else if (target.matches("[data-editor-split]")) split();
    else if (target.matches("[data-editor-delete]")) removeSelected();
    else if (target.matches("[data-editor-move]")) moveSelected(Number(target.dataset.editorMove));
    else if (target.matches("[data-editor-zoom]")) zoom(Number(target.dataset.editorZoom));
    else if (target.matches("[data-editor-play]")) (playing ? stop() : play(1));
    else if (target.matches("[data-editor-back]")) setPlayhead(playhead - 1);
    else if (target.matches("[data-editor-forward]")) setPlayhead(playhead + 1);
    else if (target.matches("[data-editor-reload]")) reload();
    else if (target.matches("[data-editor-add-text]")) operation("add_text", { text: "Your text", style: "title", start: playhead, end: round3(playhead + 3) });
    else if (target.matches("[data-editor-add-cue]")) {
      doc.captions.push({ start: playhead, end: round3(playhead + 2), text: "Caption" });
      doc.captions.sort((a, b) => a.start - b.start);
      selection = { type: "cue", id: String(doc.captions.findIndex((c) => c.start === playhead)) };
      renderAll();
      scheduleSave();
    }
  });

  root.querySelector("[data-editor-safe]").addEventListener("change", renderSafeZone);
  root.querySelector("[data-editor-add-clip]")?.addEventListener("submit", (event) => {
    event.preventDefault();
    const value = event.target.querySelector("select").value;
    if (value) operation("add_clip", { asset: Number(value) });
  });
  root.querySelector("[data-editor-add-audio]")?.addEventListener("submit", (event) => {
    event.preventDefault();
    const value = event.target.querySelector("[data-editor-library]").value;
    const role = event.target.querySelector("[data-editor-audio-role]").value;
    if (value) operation("add_audio", { asset: Number(value), role, start: role === "voice" ? playhead : 0 });
  });
  root.querySelector("[data-editor-import-captions]")?.addEventListener("change", (event) => {
    const file = event.target.files[0];
    event.target.value = "";
    if (!file) return;
    if (file.size > 1024 * 1024) {
      showError("That captions file is larger than 1 MB.", false);
      return;
    }
    file.text().then((text) => operation("import_captions", { text }));
  });
  document.addEventListener("editor:reload", reload);

  timeline.addEventListener("click", (event) => {
    const item = event.target.closest("[data-select-type]");
    if (item) select(item.dataset.selectType, item.dataset.selectId);
  });

  document.addEventListener("keydown", (event) => {
    if (isTyping(event.target) || document.querySelector(".modal.show")) return;
    const key = event.key;
    const mod = event.ctrlKey || event.metaKey;
    if (mod && (key === "z" || key === "Z")) {
      event.preventDefault();
      walk(event.shiftKey ? root.dataset.redoUrl : root.dataset.undoUrl);
      return;
    }
    if (mod && (key === "y" || key === "Y")) {
      event.preventDefault();
      walk(root.dataset.redoUrl);
      return;
    }
    if (mod || event.altKey) return;
    if (key === " ") {
      event.preventDefault();
      playing ? stop() : play(1);
    } else if (key === "k" || key === "K") stop();
    else if (key === "l" || key === "L") play(1);
    else if (key === "j" || key === "J") play(-1);
    else if (key === "s" || key === "S") canEdit && split();
    else if (key === "Delete" || key === "Backspace") {
      if (canEdit) {
        event.preventDefault();
        removeSelected();
      }
    } else if (key === "ArrowLeft" || key === "ArrowRight") {
      event.preventDefault();
      const step = event.shiftKey ? 1 : FRAME_S;
      setPlayhead(playhead + (key === "ArrowLeft" ? -step : step));
    } else if (key === "+" || key === "=") zoom(1);
    else if (key === "-") zoom(-1);
  });

  window.addEventListener("beforeunload", (event) => {
    if (saveTimer) {
      flushSave();
      event.preventDefault();
    }
  });

  // After a form's redirect (a render started, a template saved), open the tab it came from.
  const returnTab = window.location.hash && document.querySelector(`[data-bs-target="${CSS.escape(window.location.hash)}"]`);
  if (returnTab && window.bootstrap) window.bootstrap.Tab.getOrCreateInstance(returnTab).show();

  renderLibrarySelects();
  applyState(state);
  requestFrame(true);
}
