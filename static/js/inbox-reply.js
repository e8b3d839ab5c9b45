// The inbox reply box (#16): insert a saved reply with the keyboard.
//
//   /        at the start of an empty reply: go to the saved-reply picker
//   Ctrl+/   from the reply (or anywhere on the page): go to the picker
//   Enter    in the picker: insert the chosen reply where the cursor was, back to the text
//   Escape   in the picker: back to the text
//
// Without JavaScript the picker is a plain form: "Insert" reloads the page with the reply in
// the box (?saved=<id>). No inline scripts or styles (strict CSP). The box is swapped by htmx
// after each send, so everything is delegated from the document, and this file runs once.
(function () {
  "use strict";
  if (window.prosocialInboxReply) return;
  window.prosocialInboxReply = true;

  let caret = null; // where to insert: the text's selection when the picker was opened

  function text() {
    return document.querySelector("[data-reply-text]");
  }

  function picker() {
    return document.querySelector("[data-saved-picker]");
  }

  function openPicker() {
    const field = text();
    const select = picker();
    if (!select) return false;
    caret = field ? [field.selectionStart, field.selectionEnd] : null;
    select.focus();
    return true;
  }

  function insertChosen() {
    const select = picker();
    const field = text();
    if (!select || !field) return false;
    const option = select.options[select.selectedIndex];
    if (!option || !option.value) return false;
    const value = option.getAttribute("data-text") || "";
    const [start, end] = caret || [field.value.length, field.value.length];
    field.value = field.value.slice(0, start) + value + field.value.slice(end);
    field.focus();
    field.setSelectionRange(start + value.length, start + value.length);
    select.selectedIndex = 0;
    caret = null;
    return true;
  }

  document.addEventListener("keydown", function (event) {
    const target = event.target;
    if (event.key === "/" && event.ctrlKey && !event.altKey && !event.metaKey) {
      if (openPicker()) event.preventDefault();
      return;
    }
    if (!(target instanceof Element)) return;
    if (target.matches("[data-reply-text]") && event.key === "/" && !event.ctrlKey && !event.altKey && !event.metaKey) {
      if (target.value.trim() === "" && openPicker()) event.preventDefault();
      return;
    }
    if (target.matches("[data-saved-picker]")) {
      if (event.key === "Enter") {
        event.preventDefault();
        insertChosen();
      } else if (event.key === "Escape") {
        event.preventDefault();
        const field = text();
        if (field) field.focus();
      }
    }
  });

  // "Insert" with JavaScript on: insert in place instead of reloading the page.
  document.addEventListener("submit", function (event) {
    const form = event.target;
    if (form instanceof HTMLFormElement && form.matches("[data-saved-picker-form]")) {
      if (insertChosen()) event.preventDefault();
    }
  });
})();
