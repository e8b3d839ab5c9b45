// The inbox (#16): keyboard shortcuts, and keeping the reader's place while the list and the
// conversation refresh themselves (htmx polls them every 10 s; see templates/inbox/).
//
//   j / k   next (older) / previous (newer) conversation
//   Enter   open the chosen conversation (list)
//   r       the reply box (on the list: open the chosen conversation at its reply box)
//   e       mark the chosen / open conversation done
//   u       back to the inbox (conversation page)
//   ?       the shortcuts dialog
//
// Shortcuts are ignored while typing in a field and with Ctrl, Alt or Meta held. No inline
// scripts or styles (strict CSP): state lives in classes and data attributes.
(function () {
  "use strict";

  function isTyping(target) {
    if (!(target instanceof Element)) return false;
    return target.isContentEditable || target.matches("input, textarea, select, [contenteditable]");
  }

  function dialogOpen() {
    return document.querySelector(".modal.show") !== null;
  }

  function showShortcuts() {
    const dialog = document.getElementById("inbox-shortcuts");
    if (dialog && window.bootstrap) window.bootstrap.Modal.getOrCreateInstance(dialog).show();
  }

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }

  function post(url) {
    const form = document.createElement("form");
    form.method = "post";
    form.action = url;
    [["csrfmiddlewaretoken", csrfToken()], ["next", window.location.pathname + window.location.search]].forEach(function (pair) {
      const input = document.createElement("input");
      input.type = "hidden";
      input.name = pair[0];
      input.value = pair[1];
      form.appendChild(input);
    });
    document.body.appendChild(form);
    form.submit();
  }

  // --- The list: a chosen row that survives the refresh ----------------------------------------

  let chosenId = null;

  function rows() {
    return Array.from(document.querySelectorAll("[data-thread-row]"));
  }

  function choose(row, focus) {
    rows().forEach(function (r) {
      r.classList.toggle("is-selected", r === row);
      r.removeAttribute("aria-current");
    });
    if (!row) return;
    chosenId = row.dataset.threadId;
    row.setAttribute("aria-current", "true");
    const link = row.querySelector("[data-thread-link]");
    if (focus && link) link.focus();
    row.scrollIntoView({ block: "nearest" });
  }

  function chosenRow() {
    return rows().find(function (r) { return r.dataset.threadId === chosenId; }) || null;
  }

  function moveChoice(step) {
    const all = rows();
    if (!all.length) return;
    const current = all.indexOf(chosenRow());
    const next = current === -1 ? (step > 0 ? 0 : all.length - 1) : Math.min(all.length - 1, Math.max(0, current + step));
    choose(all[next], true);
  }

  function listKeys(key) {
    const row = chosenRow();
    if (key === "j") moveChoice(1);
    else if (key === "k") moveChoice(-1);
    else if (key === "Enter" && row && !document.activeElement.closest("a, button, summary")) {
      // Focus is elsewhere (say, back from the shortcuts dialog): open the chosen row anyway.
      const link = row.querySelector("[data-thread-link]");
      if (link) window.location.href = link.href;
    }
    else if (key === "r" && row) {
      const link = row.querySelector("[data-thread-link]");
      if (link) window.location.href = link.href.split("#")[0] + "#reply-box";
    } else if (key === "e" && row && row.dataset.doneUrl) post(row.dataset.doneUrl);
    else return false;
    return true;
  }

  // --- The conversation page -------------------------------------------------------------------

  function clickLink(selector) {
    const link = document.querySelector(selector);
    if (link && link.href) window.location.href = link.href;
    return Boolean(link);
  }

  function focusReply() {
    const target = document.querySelector("[data-reply-focus]") || document.getElementById("reply-box");
    if (!target) return;
    target.scrollIntoView({ block: "center" });
    target.focus();
  }

  function threadKeys(key) {
    if (key === "j") clickLink("[data-inbox-next]");
    else if (key === "k") clickLink("[data-inbox-prev]");
    else if (key === "u") clickLink("[data-inbox-back]");
    else if (key === "r") focusReply();
    else if (key === "e") {
      const form = document.querySelector("form[data-inbox-done]");
      if (form) form.requestSubmit();
    } else return false;
    return true;
  }

  function conversationToBottom() {
    const box = document.getElementById("conversation");
    if (box) box.scrollTop = box.scrollHeight;
  }

  // --- Keys ------------------------------------------------------------------------------------

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target)) return;
    if (event.key === "?") {
      event.preventDefault();
      showShortcuts();
      return;
    }
    if (dialogOpen()) return;
    const onList = document.getElementById("thread-rows") !== null;
    const handled = onList ? listKeys(event.key) : threadKeys(event.key);
    if (handled) event.preventDefault();
  });

  // --- Refreshes keep the reader's place -------------------------------------------------------

  let conversationPlace = null;
  let focusInList = false;

  document.addEventListener("htmx:beforeSwap", function (event) {
    const target = event.detail.target;
    if (!target) return;
    if (target.id === "conversation") {
      conversationPlace = {
        top: target.scrollTop,
        atBottom: target.scrollHeight - target.scrollTop - target.clientHeight < 40,
      };
    } else if (target.id === "thread-rows") {
      focusInList = target.contains(document.activeElement);
    }
  });

  document.addEventListener("htmx:afterSettle", function () {
    const box = document.getElementById("conversation");
    if (box && conversationPlace) {
      box.scrollTop = conversationPlace.atBottom ? box.scrollHeight : conversationPlace.top;
      conversationPlace = null;
    }
    if (document.getElementById("thread-rows") && chosenId) {
      choose(chosenRow(), focusInList);
      focusInList = false;
    }
  });

  function init() {
    conversationToBottom();
    // On the document: the list element itself is replaced by each refresh.
    document.addEventListener("focusin", function (event) {
      const row = event.target instanceof Element ? event.target.closest("[data-thread-row]") : null;
      if (row) choose(row, false);
    });
    if (window.location.hash === "#reply-box") focusReply();
    // Back from the shortcuts dialog: the keyboard continues where it was in the list.
    const dialog = document.getElementById("inbox-shortcuts");
    if (dialog) {
      dialog.addEventListener("hidden.bs.modal", function () {
        const row = chosenRow();
        const link = row && row.querySelector("[data-thread-link]");
        if (link) link.focus();
      });
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
