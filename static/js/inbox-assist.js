// The inbox's AI panel (#16, templates/inbox/_assist.html): "Use this" puts a suggested reply in
// the reply box for a person to edit and send. Nothing is sent from here.
//
// The draft goes into the reply form's textarea[name=text]; the reply form's hidden suggestion
// field ([data-reply-suggestion], else an input named suggested_text) keeps the draft as the AI
// wrote it, so the reply service can tell a draft sent unchanged from one a person rewrote.
// Text the person already typed is replaced only after they confirm. The panel is swapped by
// htmx, so clicks are handled on the document. No inline scripts (strict CSP).
(function () {
  "use strict";

  function replyTextarea() {
    const boxes = document.querySelectorAll('#reply-box textarea[name="text"], textarea[name="text"]');
    for (const box of boxes) {
      if (!box.disabled && box.offsetParent !== null) return box;
    }
    return boxes[0] || null;
  }

  function suggestionField(form) {
    let field = form.querySelector("[data-reply-suggestion]") ||
      form.querySelector('input[name="suggested_text"]');
    if (!field) {
      field = document.createElement("input");
      field.type = "hidden";
      field.name = "suggested_text";
      form.appendChild(field);
    }
    return field;
  }

  function announce(text) {
    const status = document.getElementById("assist-status");
    if (status) status.textContent = text;
  }

  document.addEventListener("click", function (event) {
    const button = event.target instanceof Element ? event.target.closest("[data-assist-use]") : null;
    if (!button) return;
    event.preventDefault();
    const draft = button.getAttribute("data-text") || "";
    const textarea = replyTextarea();
    if (!textarea) {
      announce("The reply box is closed for this conversation, so the draft can't be used.");
      return;
    }
    const field = textarea.form ? suggestionField(textarea.form) : null;
    const typed = textarea.value.trim();
    const untouched = field && typed === (field.value || "").trim();
    if (typed && !untouched && !window.confirm("Replace what you typed with this draft?")) return;
    textarea.value = draft;
    if (field) field.value = draft;
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
    const box = document.getElementById("reply-box");
    if (box) box.scrollIntoView({ block: "nearest" });
    textarea.focus();
    textarea.setSelectionRange(draft.length, draft.length);
    announce("The draft is in the reply box: edit it, then send it.");
  });
})();
