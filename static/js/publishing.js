// The publication editor: show only the inputs the chosen target uses (all show without JS).
(function () {
  const form = document.getElementById("publication-form");
  if (!form) return;
  const target = form.querySelector("select[name=target]");
  function sync() {
    form.querySelectorAll("[data-targets]").forEach(function (el) {
      const wanted = el.dataset.targets.split(" ");
      el.classList.toggle("d-none", !wanted.includes(target.value));
    });
  }
  target.addEventListener("change", sync);
  sync();
})();
