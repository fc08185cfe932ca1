// cityid intake helpers: camera capture and live evidence checking.
// The form works without this file; it only adds conveniences.
(function () {
  "use strict";
  var form = document.getElementById("intake");
  if (!form) { return; }

  // --- Address: required unless "no address" is ticked; keep the
  // screen-reader state in step with the box.
  var noAddr = document.getElementById("f-no-address");
  if (noAddr) {
    var addrSync = function () {
      ["f-address-line1", "f-address-city", "f-address-state", "f-address-postal-code"].forEach(function (id) {
        var el = document.getElementById(id);
        if (!el) { return; }
        el.required = !noAddr.checked;
        el.setAttribute("aria-required", noAddr.checked ? "false" : "true");
      });
    };
    noAddr.addEventListener("change", addrSync);
    addrSync();
  }

  // --- Camera: getUserMedia -> canvas -> JPEG Blob -> the form's file input.
  var startBtn = document.getElementById("camera-start");
  var shotBtn = document.getElementById("camera-shot");
  var video = document.getElementById("camera-video");
  var preview = document.getElementById("photo-preview");
  var input = document.getElementById("f-photo");
  var stream = null;
  if (startBtn && navigator.mediaDevices && navigator.mediaDevices.getUserMedia && window.DataTransfer) {
    startBtn.hidden = false;
    startBtn.addEventListener("click", function () {
      navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 1280 }, height: { ideal: 960 } }, audio: false })
        .then(function (s) {
          stream = s;
          video.srcObject = s;
          video.hidden = false;
          shotBtn.hidden = false;
          video.play();
          shotBtn.focus();
        })
        .catch(function () {
          var msg = document.getElementById("camera-error");
          if (msg) { msg.hidden = false; }
        });
    });
    shotBtn.addEventListener("click", function () {
      var w = video.videoWidth, h = video.videoHeight;
      if (!w || !h) { return; }
      // Crop to the card's 4:5 portrait around the centre.
      var cw = Math.min(w, Math.round(h * 4 / 5)), ch = Math.round(cw * 5 / 4);
      var canvas = document.createElement("canvas");
      canvas.width = cw; canvas.height = ch;
      canvas.getContext("2d").drawImage(video, (w - cw) / 2, (h - ch) / 2, cw, ch, 0, 0, cw, ch);
      canvas.toBlob(function (blob) {
        var file = new File([blob], "camera.jpg", { type: "image/jpeg" });
        var dt = new DataTransfer();
        dt.items.add(file);
        input.files = dt.files;
        // As a chosen file does: the preview, and the name beside the button.
        input.dispatchEvent(new Event("change", { bubbles: true }));
        if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); }
        video.hidden = true; shotBtn.hidden = true;
      }, "image/jpeg", 0.92);
    });
  }
  function showPreview(file) {
    if (!preview) { return; }
    preview.src = URL.createObjectURL(file);
    preview.hidden = false;
  }
  if (input) {
    input.addEventListener("change", function () {
      if (input.files && input.files[0]) { showPreview(input.files[0]); }
    });
  }

  // --- Issuers only where the catalogue asks for one (a passport's issuer
  // would record nationality); the server drops the others anyway.
  // One date per row: the issue date for types that must be recent (a
  // utility bill "dated within N days"), the expiry for the others.
  var ask = (form.getAttribute("data-ask-issuer") || "").split(" ");
  var askDated = (form.getAttribute("data-ask-dated") || "").split(" ");
  function syncIssuer(sel) {
    var row = sel.name.slice("doc_type_".length);
    var iss = form.elements["doc_issuer_" + row];
    if (iss) {
      var on = ask.indexOf(sel.value) >= 0;
      iss.disabled = !on;
      if (!on) { iss.value = ""; }
    }
    var exp = form.elements["doc_expires_" + row], dated = form.elements["doc_dated_" + row];
    if (exp && dated && sel.value) {
      var isDated = askDated.indexOf(sel.value) >= 0;
      exp.disabled = isDated;
      dated.disabled = !isDated;
      if (isDated) { exp.value = ""; } else { dated.value = ""; }
    }
  }
  Array.prototype.forEach.call(form.querySelectorAll("select[name^='doc_type_']"), syncIssuer);
  form.addEventListener("change", function (e) {
    if (e.target.name && e.target.name.indexOf("doc_type_") === 0) { syncIssuer(e.target); }
  });

  // --- Live evidence: send the form (without the photo) to the check
  // endpoint and swap in the rendered result.
  var box = document.getElementById("evidence");
  var timer = null, sent = 0, shown = 0;
  function check() {
    var seq = ++sent;
    var fd = new FormData(form);
    fd.delete("photo");
    fd.delete("action");
    fetch(form.getAttribute("data-check"), {
      method: "POST", body: fd, credentials: "same-origin",
      headers: { "X-Fragment": "evidence" }
    }).then(function (r) {
      if (!r.ok) { throw new Error(String(r.status)); }
      return r.text();
    }).then(function (html) {
      if (seq < shown) { return; } // a newer answer is already on screen
      shown = seq;
      var tpl = document.createElement("template");
      tpl.innerHTML = html;
      box.replaceChildren(tpl.content);
      // The fee follows the date of birth (child or adult).
      var fee = document.getElementById("fee-due"), upd = document.getElementById("fee-due-update");
      if (fee && upd) { fee.textContent = upd.textContent; }
    }).catch(function () { /* the Check button still works */ });
  }
  function schedule(e) {
    var n = e.target && e.target.name || "";
    if (n.indexOf("doc_") === 0 || n.indexOf("date_of_birth") === 0 || n === "caretaker") {
      clearTimeout(timer);
      timer = setTimeout(check, 300);
    }
  }
  if (box && window.fetch) {
    form.addEventListener("change", schedule);
    form.addEventListener("input", schedule);
  }
})();

// cityid verifier page: a handheld scanner types the QR payload and ends
// with Enter; submit then instead of adding a line. Shift+Enter still
// makes a new line for someone typing by hand.
(function () {
  "use strict";
  var box = document.getElementById("f-payload");
  var form = document.getElementById("verify-form");
  if (!box || !form) { return; }
  box.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey && box.value.trim() !== "") {
      e.preventDefault();
      form.submit();
    }
  });
  // The verdict takes focus so screen readers read it; the next scan
  // still lands in the box: a printable key typed outside a form field
  // moves focus there before the character is inserted.
  var verdict = document.getElementById("verdict");
  if (verdict) { verdict.focus(); }
  document.addEventListener("keydown", function (e) {
    var t = e.target;
    if (t === box || e.ctrlKey || e.metaKey || e.altKey || e.key.length !== 1) { return; }
    if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable)) { return; }
    box.value = "";
    box.focus();
  });
})();

// cityid staff pages: a file picker hidden behind a translated button
// (app.css .file-pick) shows the chosen file's name beside it.
(function () {
  "use strict";
  var picks = document.querySelectorAll(".file-pick input[type=file]");
  Array.prototype.forEach.call(picks, function (input) {
    var out = input.parentNode.querySelector(".file-chosen");
    if (!out) { return; }
    var none = out.textContent;
    input.addEventListener("change", function () {
      out.textContent = input.files && input.files.length ? input.files[0].name : none;
    });
  });
})();
