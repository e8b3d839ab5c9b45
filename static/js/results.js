// The results pages: charts (Chart.js, from our static files), the range picker's dates, and
// Refresh now with its progress. Every chart's numbers are also in the table under it, and
// series differ by dash pattern and point shape as well as colour.
(function () {
  "use strict";

  const COLOURS = ["#5b4bf5", "#d6336c", "#0f8a5f", "#b35c00", "#1f6fb2"];
  const DASHES = [[], [6, 4], [2, 3], [10, 3, 2, 3], [1, 1]];
  const POINTS = ["circle", "rectRot", "triangle", "rect", "star"];
  const PATTERN_ALPHA = "33";

  function readCharts() {
    const node = document.getElementById("results-charts");
    return node ? JSON.parse(node.textContent) : {};
  }

  function dataset(series, index, kind) {
    const colour = COLOURS[index % COLOURS.length];
    return {
      label: series.label,
      data: series.data,
      yAxisID: series.axis,
      borderColor: colour,
      backgroundColor: kind === "bar" ? colour + (index ? PATTERN_ALPHA : "") : colour,
      borderWidth: 2,
      borderDash: kind === "line" ? DASHES[index % DASHES.length] : [],
      pointStyle: POINTS[index % POINTS.length],
      pointRadius: kind === "line" ? 3 : 0,
      spanGaps: false,
      tension: 0.15,
    };
  }

  function axes(chart) {
    const scales = {
      x: { ticks: { autoSkip: true, maxRotation: 0, maxTicksLimit: 10 } },
    };
    Object.entries(chart.axes).forEach(([id, title]) => {
      scales[id] = {
        position: id === "y" ? "left" : "right",
        beginAtZero: true,
        title: { display: true, text: title },
        grid: { drawOnChartArea: id === "y" },
      };
    });
    return scales;
  }

  function draw(canvas, chart) {
    if (!window.Chart || !chart) return;
    // eslint-disable-next-line no-new
    new window.Chart(canvas, {
      type: chart.kind,
      data: {
        labels: chart.labels,
        datasets: chart.series.map((series, i) => dataset(series, i, chart.kind)),
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "index", intersect: false },
        plugins: { legend: { labels: { usePointStyle: true } } },
        scales: axes(chart),
      },
    });
  }

  function drawAll() {
    const charts = readCharts();
    document.querySelectorAll("canvas[data-chart]").forEach((canvas) => {
      draw(canvas, charts[canvas.dataset.chart]);
    });
  }

  // The dates only matter for "Dates…": hide them otherwise (they stay usable without JS).
  function rangePicker() {
    const form = document.querySelector(".results-range");
    if (!form) return;
    const select = form.querySelector("select[name=range]");
    const dates = form.querySelectorAll(".results-dates");
    const sync = () => {
      const custom = select.value === "custom";
      dates.forEach((node) => {
        node.classList.toggle("d-none", !custom);
        node.querySelector("input").disabled = !custom;
      });
    };
    select.addEventListener("change", () => {
      sync();
      if (select.value !== "custom") form.requestSubmit();
    });
    sync();
  }

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }

  function refreshPanel() {
    const panel = document.querySelector("[data-refresh-url]");
    if (!panel) return;
    const button = panel.querySelector("[data-refresh-button]");
    const message = panel.querySelector("[data-refresh-message]");
    const progress = panel.querySelector("[data-refresh-progress]");
    const bar = progress.querySelector(".progress-bar");

    function show(status) {
      const percent = Math.max(0, Math.min(100, Math.round(status.progress || 0)));
      progress.classList.toggle("d-none", status.done);
      progress.setAttribute("aria-valuenow", String(percent));
      bar.style.width = percent + "%";
      if (status.done) {
        message.textContent =
          status.status === "failed"
            ? "The refresh failed: " + (status.message || "try again later.")
            : "Refreshed. " + (status.message || "") + " Showing the new numbers…";
      } else {
        const counted = status.objects_total
          ? " " + status.objects_done + " of " + status.objects_total + " read."
          : "";
        message.textContent = "Refreshing…" + counted + " " + (status.message || "");
      }
    }

    function poll(url) {
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then((response) => response.json())
        .then((status) => {
          show(status);
          if (!status.done) {
            window.setTimeout(() => poll(url), 1500);
          } else {
            if (button) button.disabled = false;
            if (status.status !== "failed") window.setTimeout(() => window.location.reload(), 800);
          }
        })
        .catch(() => {
          message.textContent = "Lost touch with the server; the refresh goes on. Reload to see it.";
          if (button) button.disabled = false;
        });
    }

    if (button) {
      button.addEventListener("click", () => {
        button.disabled = true;
        message.textContent = "Asking for a refresh…";
        fetch(panel.dataset.refreshUrl, {
          method: "POST",
          headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
          credentials: "same-origin",
        })
          .then((response) => response.json().then((body) => ({ ok: response.ok, body })))
          .then(({ ok, body }) => {
            if (!ok) {
              message.textContent = body.error || "The refresh could not start.";
              button.disabled = false;
              return;
            }
            show(body);
            poll(body.status_url);
          })
          .catch(() => {
            message.textContent = "The refresh could not start: the server did not answer.";
            button.disabled = false;
          });
      });
    }
    // Where the latest refresh stands: "Last refresh: …", or its progress while it runs.
    fetch(panel.dataset.refreshUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then((response) => (response.ok ? response.json() : null))
      .then((status) => {
        if (!status || status.status === "none") return;
        if (status.done) {
          message.textContent =
            (status.status === "failed" ? "The last refresh failed: " : "Last refresh: ") +
            (status.message || status.status);
        } else {
          if (button) button.disabled = true;
          show(status);
          poll(status.status_url);
        }
      })
      .catch(() => {});
  }

  function start() {
    drawAll();
    rangePicker();
    refreshPanel();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
