// The editor's previews (templates/publishing/_preview.html): ask the server to render them
// again for the inputs as they stand (publishing:preview), a moment after typing stops.
(function () {
  const form = document.getElementById("publication-form");
  const panel = document.getElementById("preview-panel");
  if (!form || !panel || !panel.dataset.previewUrl) return;
  const csrf = form.querySelector("input[name=csrfmiddlewaretoken]");
  let timer = null;
  let controller = null;

  function refresh() {
    if (controller) controller.abort();
    controller = new AbortController();
    const data = new FormData(form);
    fetch(panel.dataset.previewUrl, {
      method: "POST",
      body: data,
      headers: { "X-CSRFToken": csrf ? csrf.value : "" },
      credentials: "same-origin",
      signal: controller.signal,
    })
      .then(function (response) {
        if (!response.ok) throw new Error("preview " + response.status);
        return response.text();
      })
      .then(function (html) {
        const parsed = new DOMParser().parseFromString(html, "text/html");
        panel.replaceChildren.apply(panel, Array.from(parsed.body.childNodes));
        panel.dataset.updated = String(Date.now());
      })
      .catch(function () { /* keep the last preview; saving still works */ });
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 350);
  }
  form.addEventListener("input", later);
  form.addEventListener("change", later);
})();
