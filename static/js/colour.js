// Brand colours (#13): the hex list in the text field and the <input type="color"> pickers
// beside it stay in sync. Typing re-draws the pickers; picking rewrites that colour in the
// text (or adds one). The text is what the server reads and checks (#RRGGBB, at most six).
(function () {
  "use strict";

  const HEX = /^#[0-9a-fA-F]{6}$/;

  function split(text) {
    return text
      .split(/[,\n]/)
      .map(function (part) { return part.trim(); })
      .filter(function (part) { return part !== ""; });
  }

  function picker(index, colour) {
    const input = document.createElement("input");
    input.type = "color";
    input.className = "form-control form-control-color";
    input.value = colour.toLowerCase();
    input.dataset.colourIndex = String(index + 1);
    input.setAttribute("aria-label", "Brand colour " + (index + 1));
    return input;
  }

  function bind(box) {
    const field = document.getElementById(box.dataset.colourList);
    const add = box.querySelector("[data-colour-add]");
    const max = parseInt(box.dataset.maxColours || "6", 10);
    if (!field || !add) return;

    function redraw() {
      const parts = split(field.value);
      box.querySelectorAll("[data-colour-index]").forEach(function (el) { el.remove(); });
      parts.forEach(function (part, index) {
        if (HEX.test(part)) box.insertBefore(picker(index, part), add);
      });
      add.hidden = parts.length >= max;
    }

    function write(parts) {
      field.value = parts.join(", ");
      field.dispatchEvent(new Event("change", { bubbles: true }));
    }

    field.addEventListener("input", redraw);
    box.addEventListener("input", function (event) {
      const target = event.target;
      if (!(target instanceof HTMLInputElement) || !target.dataset.colourIndex) return;
      const parts = split(field.value);
      parts[parseInt(target.dataset.colourIndex, 10) - 1] = target.value.toUpperCase();
      write(parts);
    });
    add.addEventListener("change", function () {
      const parts = split(field.value);
      if (parts.length >= max) return;
      parts.push(add.value.toUpperCase());
      write(parts);
      redraw();
      add.value = "#ffffff";
      const added = box.querySelector('[data-colour-index="' + parts.length + '"]');
      if (added) added.focus();
    });
  }

  function init() {
    document.querySelectorAll("[data-colour-list]").forEach(bind);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
