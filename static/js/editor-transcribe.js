// Captions from speech (templates/creatives/editor/_transcribe.html): the button posts to the
// transcribe URL, then the job's status URL is polled every 1.5 s and its progress and message
// are shown in an aria-live region. When the job is done with a new version, the editor is told
// to reload its state: document.dispatchEvent(new CustomEvent("editor:reload", {detail:
// {version}})). A page opened while a job runs (data-status-url) follows that job. No inline
// scripts or styles (strict CSP): the progress is a <progress> element's value.
(function () {
  "use strict";

  const POLL_MS = 1500;

  function csrfToken(panel) {
    const input = panel.querySelector("input[name=csrfmiddlewaretoken]");
    if (input) return input.value;
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }

  function init(panel) {
    if (panel.dataset.transcribeReady === "1") return;
    panel.dataset.transcribeReady = "1";
    const button = panel.querySelector("[data-transcribe-button]");
    const status = panel.querySelector("[data-transcribe-status]");
    const bar = panel.querySelector("[data-transcribe-progress]");
    if (!button || !status) return;
    let timer = null;

    function say(text, failed) {
      status.textContent = text || "";
      status.classList.toggle("text-danger", Boolean(failed));
    }

    function showProgress(percent) {
      if (!bar) return;
      bar.hidden = percent === null;
      if (percent !== null) {
        bar.setAttribute("value", String(percent));
        bar.value = percent;
        bar.textContent = percent + " %";
      }
    }

    function busy(on) {
      button.disabled = on;
      button.setAttribute("aria-busy", on ? "true" : "false");
    }

    function finish(data) {
      clearTimeout(timer);
      timer = null;
      busy(false);
      showProgress(null);
      const failed = data.status !== "succeeded";
      say(data.message, failed);
      if (!failed && data.version !== null && data.version !== undefined) {
        document.dispatchEvent(new CustomEvent("editor:reload", { detail: { version: data.version } }));
      }
    }

    async function poll(url) {
      let data;
      try {
        const response = await fetch(url, {
          credentials: "same-origin",
          headers: { Accept: "application/json" },
          cache: "no-store",
        });
        if (response.status === 404 || response.status === 403) {
          busy(false);
          showProgress(null);
          say("This request for captions is gone; try again.", true);
          return;
        }
        if (!response.ok) return schedule(url);
        data = await response.json();
      } catch (error) {
        return schedule(url); // offline for a moment: try again
      }
      if (data.done) return finish(data);
      showProgress(data.progress);
      say(data.message + " " + data.progress + " %", false);
      schedule(url);
    }

    function schedule(url) {
      clearTimeout(timer);
      timer = setTimeout(function () { poll(url); }, POLL_MS);
    }

    function follow(url) {
      busy(true);
      showProgress(0);
      say("Waiting for a worker…", false);
      poll(url);
    }

    button.addEventListener("click", async function () {
      if (button.disabled) return;
      busy(true);
      say("Starting…", false);
      let response;
      let data = {};
      try {
        response = await fetch(button.dataset.url, {
          method: "POST",
          credentials: "same-origin",
          headers: { Accept: "application/json", "X-CSRFToken": csrfToken(panel) },
        });
        data = await response.json().catch(function () { return {}; });
      } catch (error) {
        busy(false);
        say("The server could not be reached; try again in a moment.", true);
        return;
      }
      if (response.status === 202 && data.status_url) {
        button.dataset.statusUrl = data.status_url;
        follow(data.status_url);
      } else if (response.status === 409 && data.status_url) {
        // Already running (another tab or member): follow that one.
        follow(data.status_url);
        say(data.error, false);
      } else {
        busy(false);
        say(data.error || "Captions could not be started (error " + response.status + ").", true);
      }
    });

    if (button.dataset.statusUrl) follow(button.dataset.statusUrl);
  }

  function initAll() {
    document.querySelectorAll("[data-transcribe]").forEach(init);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", initAll);
  } else {
    initAll();
  }
})();
