// Upload with a progress bar: forms marked data-progress are sent with
// XHR so upload progress can be shown; without JavaScript they post as
// plain forms and the server answers with a page.
(function () {
  "use strict";
  function wire(form) {
    form.addEventListener("submit", function (ev) {
      if (!window.FormData || !window.XMLHttpRequest) return;
      ev.preventDefault();
      var bar = form.querySelector("progress");
      var btn = form.querySelector("button[type=submit]");
      var err = form.querySelector("[data-error-for=file]");
      var file = form.querySelector("input[type=file]");
      if (err) err.textContent = "";
      if (file) file.removeAttribute("aria-invalid");
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
      xhr.responseType = "json";
      if (bar) { bar.hidden = false; bar.value = 0; }
      if (btn) btn.disabled = true;
      xhr.upload.addEventListener("progress", function (e) {
        if (bar && e.lengthComputable) bar.value = Math.round(100 * e.loaded / e.total);
      });
      xhr.addEventListener("load", function () {
        var body = xhr.response || {};
        if (xhr.status >= 200 && xhr.status < 300 && body.location) {
          if (bar) bar.value = 100;
          window.location.assign(body.location);
          return;
        }
        fail(body.error || ("HTTP " + xhr.status));
      });
      xhr.addEventListener("error", function () { fail(form.getAttribute("data-neterror") || "Network error"); });
      function fail(msg) {
        if (btn) btn.disabled = false;
        if (bar) bar.hidden = true;
        if (err) err.textContent = msg;
        if (file) { file.setAttribute("aria-invalid", "true"); file.focus(); }
      }
      xhr.send(new FormData(form));
    });
  }
  document.querySelectorAll("form[data-progress]").forEach(wire);
})();
