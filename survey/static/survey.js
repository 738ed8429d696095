// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";

  // Move focus to the error summary so screen readers announce it at once.
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }

  // A second click while the first post is on its way would only repeat it (the
  // server ignores repeats); swallowing it keeps the page calm on slow networks.
  Array.prototype.forEach.call(document.querySelectorAll("form"), function (form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.sending) { event.preventDefault(); return; }
      form.dataset.sending = "1";
      window.setTimeout(function () { delete form.dataset.sending; }, 8000);
    });
  });

  // "None of these" and "Prefer not to say" stand alone: ticking one clears the
  // others in its question, and ticking any other clears them.
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box || box.type !== "checkbox" || !box.checked) { return; }
    var group = box.closest(".question");
    if (!group) { return; }
    Array.prototype.forEach.call(group.querySelectorAll("input[type=checkbox]"), function (other) {
      if (other === box) { return; }
      if (box.hasAttribute("data-exclusive") || other.hasAttribute("data-exclusive")) {
        other.checked = false;
      }
    });
    // A ticked "Don't know" next to a typed answer replaces it.
    if (box.hasAttribute("data-exclusive")) {
      Array.prototype.forEach.call(group.querySelectorAll("input[type=text], textarea"), function (input) {
        input.value = "";
      });
    }
  });

  // And the other way: typing an answer unticks "Prefer not to say" beside it, which
  // the server would otherwise refuse as both at once.
  document.addEventListener("input", function (event) {
    var input = event.target;
    if (!input || !input.value || !(input.tagName === "TEXTAREA" || input.type === "text" ||
        input.type === "number" || input.type === "tel")) { return; }
    var group = input.closest(".question");
    if (!group) { return; }
    Array.prototype.forEach.call(group.querySelectorAll("input[data-exclusive]"), function (box) {
      box.checked = false;
    });
  });
}());
