// The publishing calendar: drag a scheduled publication to another day (month view) or day and
// hour (week view) to reschedule it. It POSTs to the same reschedule endpoint as the "Move"
// form beside each item (the keyboard and no-JS way), so the server checks everything again:
// a time in the past, an item that is no longer scheduled, the member's permission.
// Times are the workspace's wall-clock times, as the page shows them.
(function () {
  const calendar = document.getElementById("pub-calendar");
  if (!calendar) return;
  const status = document.getElementById("calendar-status");
  let dragged = null;

  function showError(text) {
    status.textContent = text;
    status.classList.remove("d-none");
    status.focus();
  }

  function newTime(item, cell) {
    // Keep the item's minutes (and its hour in the month view, where cells are whole days).
    const [hour, minute] = item.dataset.time.split(":");
    const slotHour = cell.dataset.dropHour;
    const hh = slotHour === undefined ? hour : String(slotHour).padStart(2, "0");
    return cell.dataset.dropDate + "T" + hh + ":" + minute;
  }

  function refusal(html) {
    const doc = new DOMParser().parseFromString(html, "text/html");
    const found = doc.querySelector(".invalid-feedback, [data-testid=action-error]");
    return found ? found.textContent.trim() : "The publication could not be moved.";
  }

  async function move(item, when) {
    const body = new FormData();
    body.append("csrfmiddlewaretoken", calendar.dataset.csrf);
    body.append("when", when);
    body.append("next", window.location.pathname + window.location.search);
    calendar.setAttribute("aria-busy", "true");
    try {
      const response = await fetch(item.dataset.reschedule, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        redirect: "manual",
      });
      if (response.type === "opaqueredirect" || response.ok) {
        window.location.reload();
        return;
      }
      showError(response.status === 404 ? "That publication is gone." : refusal(await response.text()));
    } catch (error) {
      showError("The calendar could not reach the server; nothing was moved.");
    } finally {
      calendar.removeAttribute("aria-busy");
    }
  }

  calendar.addEventListener("dragstart", function (event) {
    const item = event.target.closest("[data-reschedule]");
    if (!item) return;
    dragged = item;
    item.classList.add("pub-dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", item.dataset.reschedule);
  });

  calendar.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("pub-dragging");
    calendar.querySelectorAll(".pub-drop-over").forEach(function (cell) {
      cell.classList.remove("pub-drop-over");
    });
  });

  calendar.addEventListener("dragover", function (event) {
    const cell = event.target.closest("[data-drop-date]");
    if (!cell || !dragged) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    cell.classList.add("pub-drop-over");
  });

  calendar.addEventListener("dragleave", function (event) {
    const cell = event.target.closest("[data-drop-date]");
    if (cell && !cell.contains(event.relatedTarget)) cell.classList.remove("pub-drop-over");
  });

  calendar.addEventListener("drop", function (event) {
    const cell = event.target.closest("[data-drop-date]");
    if (!cell || !dragged) return;
    event.preventDefault();
    const item = dragged;
    dragged = null;
    cell.classList.remove("pub-drop-over");
    if (item.closest("[data-drop-date]") === cell) return;
    cell.appendChild(item.closest(".pub-cal-entry"));
    move(item, newTime(item, cell));
  });
})();
