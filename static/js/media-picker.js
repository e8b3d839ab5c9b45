// Media pickers (#13): next to each select of media files, the chosen file's thumbnail and the
// placements it fits. The server renders the first state ({% media_picker %}); this keeps it
// current when the choice changes, from the one JSON block {% media_picker_data %} writes.
(function () {
  "use strict";

  function readData(id) {
    const block = document.getElementById(id);
    if (!block) return {};
    try {
      return JSON.parse(block.textContent || "{}");
    } catch (error) {
      return {};
    }
  }

  function show(preview, entry) {
    const img = preview.querySelector("img");
    const fits = preview.querySelector("[data-picker-fits]");
    if (img) {
      if (entry && entry.thumb) {
        img.src = entry.thumb;
        img.alt = entry.alt;
        img.hidden = false;
      } else {
        img.removeAttribute("src");
        img.hidden = true;
      }
    }
    if (fits) fits.textContent = entry ? entry.fits : "";
  }

  function init() {
    const cache = {};
    document.querySelectorAll("[data-media-picker]").forEach(function (preview) {
      const select = document.getElementById(preview.dataset.mediaPicker);
      if (!select) return;
      const dataId = preview.dataset.pickerData;
      cache[dataId] = cache[dataId] || readData(dataId);
      select.addEventListener("change", function () {
        show(preview, cache[dataId][select.value] || null);
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
