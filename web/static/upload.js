// The upload page: choose or drop one file, see its name and size, send it once.
(function () {
  "use strict";
  var form = document.querySelector("form[data-upload]");
  if (!form) return;
  var input = form.querySelector("input[type=file]");
  var zone = form.querySelector("[data-role=dropzone]");
  var chosen = form.querySelector("[data-role=chosen]");
  var error = form.querySelector("[data-role=error]");
  var button = form.querySelector("button[type=submit]");

  function size(bytes) {
    if (bytes < 1024) return bytes + " B";
    if (bytes < 1024 * 1024) return (bytes / 1024).toFixed(1) + " KB";
    return (bytes / 1024 / 1024).toFixed(1) + " MB";
  }

  function show() {
    var file = input.files && input.files[0];
    if (!file) return;
    chosen.textContent = form.dataset.msgChosen
      .replace("{name}", file.name)
      .replace("{size}", size(file.size));
    chosen.classList.add("is-chosen");
    error.hidden = true;
  }

  input.addEventListener("change", show);
  ["dragenter", "dragover"].forEach(function (name) {
    zone.addEventListener(name, function (event) {
      event.preventDefault();
      zone.classList.add("is-over");
    });
  });
  ["dragleave", "drop"].forEach(function (name) {
    zone.addEventListener(name, function () {
      zone.classList.remove("is-over");
    });
  });
  zone.addEventListener("drop", function (event) {
    event.preventDefault();
    var files = event.dataTransfer && event.dataTransfer.files;
    if (!files || !files.length) return;
    var one = new DataTransfer();
    one.items.add(files[0]);
    input.files = one.files;
    show();
  });
  form.addEventListener("submit", function (event) {
    if (!input.files || !input.files.length) {
      event.preventDefault();
      error.textContent = form.dataset.msgNone;
      error.hidden = false;
      return;
    }
    button.disabled = true;
    button.textContent = form.dataset.msgSending;
  });
})();
