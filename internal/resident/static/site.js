// The resident site's only script. (1) Proof-of-work for forms: find a number n such that
// SHA-256(challenge + ":" + n) starts with the required zero bits, then
// submit. About a second on a cheap phone; it makes mass submissions by
// bots expensive without any third-party CAPTCHA. Forms still work without
// JavaScript (the server then counts the request five times against the
// rate limit). (2) The lobby screen reloads itself every 10 seconds.
// (3) The booking confirmation's print button.
(function () {
  "use strict";
  var refresh = document.querySelector("[data-refresh]");
  if (refresh) {
    setTimeout(function () { location.reload(); }, 1000 * (parseInt(refresh.getAttribute("data-refresh"), 10) || 10));
  }
  // (3) A print button only where the browser can print; the page's print
  // stylesheet keeps the appointment and drops navigation and forms.
  document.querySelectorAll("[data-print]").forEach(function (b) {
    b.hidden = false;
    b.addEventListener("click", function () { window.print(); });
  });
  if (!window.crypto || !crypto.subtle || !window.TextEncoder) return;
  var enc = new TextEncoder();
  function zeros(buf) {
    var b = new Uint8Array(buf), n = 0;
    for (var i = 0; i < b.length; i++) {
      if (b[i] === 0) { n += 8; continue; }
      var v = b[i];
      while ((v & 0x80) === 0) { n++; v <<= 1; }
      return n;
    }
    return n;
  }
  async function solve(challenge, bits) {
    for (var n = 0; ; n++) {
      var h = await crypto.subtle.digest("SHA-256", enc.encode(challenge + ":" + n));
      if (zeros(h) >= bits) return String(n);
    }
  }
  document.querySelectorAll("form.pow").forEach(function (form) {
    var busy = false;
    form.addEventListener("submit", function (ev) {
      var c = form.querySelector("input[name=pow_challenge]");
      var nonce = form.querySelector("input[name=pow_nonce]");
      if (!c || !nonce || nonce.value) return;
      ev.preventDefault();
      if (busy) return;
      busy = true;
      var status = form.querySelector(".pow-status");
      var btn = form.querySelector("button[type=submit]");
      if (btn) btn.setAttribute("aria-disabled", "true");
      if (status) status.textContent = status.getAttribute("data-wait") || "…";
      solve(c.value, parseInt(c.getAttribute("data-bits"), 10) || 16).then(function (n) {
        nonce.value = n;
        form.submit();
      });
    });
  });
})();
