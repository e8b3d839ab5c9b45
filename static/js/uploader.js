// Media uploader: one request per file with its own progress bar. Through ProSocial by
// default; straight to the bucket (presigned POST) when the form says data-direct="1".
(function () {
  "use strict";
  const form = document.getElementById("uploader");
  if (!form) return;
  const input = form.querySelector("input[type=file]");
  const list = document.getElementById("upload-list");
  const csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  const direct = form.dataset.direct === "1";

  function row(file) {
    const li = document.createElement("li");
    li.className = "upload-row";
    li.dataset.testid = "upload-row";
    const name = document.createElement("div");
    name.className = "small fw-semibold text-truncate";
    name.textContent = file.name;
    const bar = document.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    bar.className = "upload-progress";
    const note = document.createElement("div");
    note.className = "small text-body-secondary upload-note";
    note.textContent = "Waiting…";
    li.append(name, bar, note);
    list.append(li);
    return { li, bar, note };
  }

  function send(method, url, body, headers, onProgress) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open(method, url);
      Object.entries(headers || {}).forEach(([k, v]) => xhr.setRequestHeader(k, v));
      if (onProgress) {
        xhr.upload.addEventListener("progress", (e) => {
          if (e.lengthComputable) onProgress(Math.round((e.loaded / e.total) * 100));
        });
      }
      xhr.addEventListener("load", () => resolve(xhr));
      xhr.addEventListener("error", () => reject(new Error("The connection dropped; try again.")));
      xhr.send(body);
    });
  }

  function json(xhr) {
    try { return JSON.parse(xhr.responseText); } catch (e) { return {}; }
  }

  async function viaApp(file, ui) {
    const data = new FormData();
    data.append("files", file);
    const xhr = await send("POST", form.action, data,
      { "X-CSRFToken": csrf, Accept: "application/json" }, (p) => { ui.bar.value = p; ui.note.textContent = `Uploading ${p}%`; });
    ui.note.textContent = "Checking…";
    const result = (json(xhr).files || [])[0] || json(xhr);
    if (xhr.status >= 400 || result.error) throw new Error(result.error || `Upload failed (${xhr.status}).`);
    return result;
  }

  async function viaBucket(file, ui) {
    const start = await send("POST", form.dataset.startUrl, JSON.stringify({ name: file.name, size: file.size }),
      { "X-CSRFToken": csrf, "Content-Type": "application/json", Accept: "application/json" });
    const ticket = json(start);
    if (start.status >= 400) throw new Error(ticket.error || `Upload refused (${start.status}).`);
    const data = new FormData();
    Object.entries(ticket.fields).forEach(([k, v]) => data.append(k, v));
    data.append("file", file);
    const put = await send("POST", ticket.url, data, {}, (p) => { ui.bar.value = p; ui.note.textContent = `Uploading ${p}%`; });
    if (put.status >= 300) throw new Error(`Storage refused the file (${put.status}).`);
    ui.note.textContent = "Checking…";
    const done = await send("POST", ticket.complete, "", { "X-CSRFToken": csrf, Accept: "application/json" });
    const result = json(done);
    if (done.status >= 400) throw new Error(result.error || `Check failed (${done.status}).`);
    return result;
  }

  form.addEventListener("submit", async (event) => {
    if (!input.files.length) return;  // let the server say "choose a file"
    event.preventDefault();
    const files = Array.from(input.files);
    input.value = "";
    let ok = 0;
    for (const file of files) {
      const ui = row(file);
      try {
        const result = await (direct ? viaBucket(file, ui) : viaApp(file, ui));
        ui.bar.value = 100;
        ui.note.textContent = "Ready";
        ui.li.classList.add("is-done");
        ok += 1;
        if (result.url) {
          const link = document.createElement("a");
          link.href = result.url;
          link.textContent = " Open";
          ui.note.append(link);
        }
      } catch (err) {
        ui.li.classList.add("is-failed");
        ui.note.className = "small text-danger upload-note";
        ui.note.textContent = err.message;
      }
    }
    if (ok === files.length) window.location.reload();
  });
})();
