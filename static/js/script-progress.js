// The script page while a generation job runs (#13): ask the small progress endpoint every
// 2 s and update the jobs in place. Nothing the user is typing is reloaded: when a job
// finishes, only the parts marked data-live-region are refreshed from a fresh copy of the
// page, and a region holding an edited or focused field is left alone. No inline styles
// (strict CSP): progress is a <progress> element's value attribute.
(function () {
  "use strict";

  const POLL_MS = 2000;

  function isEdited(field) {
    if (field instanceof HTMLSelectElement) {
      return Array.from(field.options).some(function (o) { return o.selected !== o.defaultSelected; });
    }
    if (field.type === "checkbox" || field.type === "radio") {
      return field.checked !== field.defaultChecked;
    }
    return field.value !== field.defaultValue;
  }

  function holdsUserInput(node) {
    if (node.contains(document.activeElement) && document.activeElement.matches("input, textarea, select")) {
      return true;
    }
    return Array.from(node.querySelectorAll("input:not([type=hidden]), textarea, select")).some(isEdited);
  }

  function init() {
    const live = document.getElementById("script-live");
    if (!live || !live.dataset.progressUrl) return;
    const notice = live.querySelector("[data-live-notice]");
    let timer = null;
    let openJobs = null;

    function showNotice() {
      if (notice) notice.hidden = false;
    }

    async function refreshRegions() {
      const response = await fetch(window.location.pathname, { credentials: "same-origin" });
      if (!response.ok) return;
      const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
      const next = fresh.getElementById("script-live");
      if (!next) return;
      if (next.dataset.structure !== live.dataset.structure) {
        // A new storyboard: the scene forms on screen belong to the old one.
        if (holdsUserInput(live)) {
          showNotice();
          return;
        }
        live.replaceChildren(...Array.from(next.childNodes).map(function (n) { return document.importNode(n, true); }));
        live.dataset.structure = next.dataset.structure;
        return;
      }
      let skipped = false;
      live.querySelectorAll("[data-live-region]").forEach(function (region) {
        const name = region.dataset.liveRegion;
        const replacement = next.querySelector('[data-live-region="' + CSS.escape(name) + '"]');
        if (!replacement) return;
        if (holdsUserInput(region)) {
          skipped = true;
          return;
        }
        region.replaceWith(document.importNode(replacement, true));
      });
      if (skipped) showNotice();
    }

    function updateJobs(data) {
      const list = live.querySelector('[data-testid="jobs"]');
      const inPlace = list && data.jobs.every(function (job) {
        const item = list.querySelector('[data-testid="job-' + job.id + '"]');
        return item && item.dataset.status === job.status;
      }) && list.querySelectorAll("[data-status]").length === data.jobs.length;
      if (!inPlace) {
        if (list) {
          const template = document.createElement("template");
          template.innerHTML = data.jobs_html;
          list.replaceChildren(template.content);
        }
        return;
      }
      data.jobs.forEach(function (job) {
        const item = list.querySelector('[data-testid="job-' + job.id + '"]');
        const bar = item.querySelector("progress");
        if (bar) {
          bar.setAttribute("value", String(job.progress));
          bar.value = job.progress;
        }
        const message = item.querySelector('[data-testid="job-message"]');
        if (message && message.textContent !== job.message) message.textContent = job.message;
      });
    }

    async function poll() {
      let data;
      try {
        const response = await fetch(live.dataset.progressUrl, {
          credentials: "same-origin",
          headers: { Accept: "application/json" },
        });
        if (!response.ok) return schedule();
        data = await response.json();
      } catch (error) {
        return schedule();
      }
      updateJobs(data);
      const nowOpen = data.jobs.filter(function (j) { return j.open; }).map(function (j) { return j.id; }).join(",");
      const finishedOne = openJobs !== null && nowOpen !== openJobs;
      openJobs = nowOpen;
      if (finishedOne || !data.busy) {
        try {
          await refreshRegions();
        } catch (error) {
          /* the next poll tries again */
        }
      }
      live.dataset.busy = data.busy ? "1" : "0";
      if (data.busy) schedule();
    }

    function schedule() {
      clearTimeout(timer);
      timer = setTimeout(poll, POLL_MS);
    }

    if (notice) {
      notice.querySelector("[data-live-reload]").addEventListener("click", function () {
        window.location.reload();
      });
    }
    if (live.dataset.busy === "1") schedule();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
