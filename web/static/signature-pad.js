// Handwritten signature pad: one <canvas>, Pointer Events (mouse, pen, touch), high-DPI aware.
// Strokes are kept as [x, y, t] points in CSS pixels (t = ms since the first point) so the pad can
// redraw itself after undo or a resize; on submit the form carries the PNG and the strokes.
(function () {
  "use strict";

  var LINE_WIDTH = 2.6;
  var INK = "#10203a";

  function SignaturePad(form) {
    this.form = form;
    this.canvas = form.querySelector("canvas");
    this.ctx = this.canvas.getContext("2d");
    this.error = form.querySelector("[data-role=error]");
    this.submit = form.querySelector("button[type=submit]");
    this.strokes = [];
    this.current = null;
    this.pointerId = null;
    this.t0 = null;
    this.ratio = 1;
    this.label = this.submit.textContent;
    this.bind();
    this.resize();
  }

  SignaturePad.prototype.bind = function () {
    var self = this;
    var c = this.canvas;
    c.addEventListener("pointerdown", function (e) { self.down(e); });
    c.addEventListener("pointermove", function (e) { self.move(e); });
    c.addEventListener("pointerup", function (e) { self.up(e); });
    c.addEventListener("pointercancel", function (e) { self.up(e); });
    // Some mobile browsers still start a scroll or zoom from touch events despite touch-action.
    c.addEventListener("touchstart", function (e) { e.preventDefault(); }, { passive: false });
    c.addEventListener("touchmove", function (e) { e.preventDefault(); }, { passive: false });
    window.addEventListener("resize", function () { self.resize(); });
    this.form.querySelector("[data-action=undo]").addEventListener("click", function () {
      self.strokes.pop();
      self.redraw();
    });
    this.form.querySelector("[data-action=clear]").addEventListener("click", function () {
      self.strokes = [];
      self.redraw();
    });
    this.form.addEventListener("submit", function (e) { self.onSubmit(e); });
    // Coming back through the history cache must not leave the button stuck on "sending".
    window.addEventListener("pageshow", function () {
      self.form.removeAttribute("data-sending");
      self.submit.textContent = self.label;
    });
  };

  SignaturePad.prototype.resize = function () {
    var rect = this.canvas.getBoundingClientRect();
    var ratio = Math.max(window.devicePixelRatio || 1, 1);
    var w = Math.round(rect.width * ratio);
    var h = Math.round(rect.height * ratio);
    if (w === this.canvas.width && h === this.canvas.height) return;
    this.canvas.width = w;
    this.canvas.height = h;
    this.ratio = ratio;
    this.redraw();
  };

  SignaturePad.prototype.point = function (e) {
    var rect = this.canvas.getBoundingClientRect();
    if (this.t0 === null) this.t0 = e.timeStamp;
    return [
      Math.round((e.clientX - rect.left) * 10) / 10,
      Math.round((e.clientY - rect.top) * 10) / 10,
      Math.round(e.timeStamp - this.t0),
    ];
  };

  SignaturePad.prototype.down = function (e) {
    if (this.pointerId !== null) return;  // a second finger does not start a second stroke
    if (e.pointerType === "mouse" && e.button !== 0) return;
    e.preventDefault();
    this.pointerId = e.pointerId;
    if (this.canvas.setPointerCapture) this.canvas.setPointerCapture(e.pointerId);
    this.current = [this.point(e)];
    this.strokes.push(this.current);
    this.drawDot(this.current[0]);
    this.hideError();
  };

  SignaturePad.prototype.move = function (e) {
    if (e.pointerId !== this.pointerId || !this.current) return;
    e.preventDefault();
    // Coalesced events keep fast strokes smooth on phones that batch pointer moves per frame.
    var events = e.getCoalescedEvents ? e.getCoalescedEvents() : [];
    if (!events.length) events = [e];
    for (var i = 0; i < events.length; i++) {
      var p = this.point(events[i]);
      var last = this.current[this.current.length - 1];
      if (p[0] === last[0] && p[1] === last[1]) continue;
      this.current.push(p);
      this.drawSegment(last, p);
    }
  };

  SignaturePad.prototype.up = function (e) {
    if (e.pointerId !== this.pointerId) return;
    this.pointerId = null;
    this.current = null;
  };

  SignaturePad.prototype.begin = function () {
    var ctx = this.ctx;
    ctx.setTransform(this.ratio, 0, 0, this.ratio, 0, 0);
    ctx.strokeStyle = INK;
    ctx.fillStyle = INK;
    ctx.lineWidth = LINE_WIDTH;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    return ctx;
  };

  SignaturePad.prototype.drawDot = function (p) {
    var ctx = this.begin();
    ctx.beginPath();
    ctx.arc(p[0], p[1], LINE_WIDTH / 2, 0, 2 * Math.PI);
    ctx.fill();
  };

  SignaturePad.prototype.drawSegment = function (a, b) {
    var ctx = this.begin();
    ctx.beginPath();
    ctx.moveTo(a[0], a[1]);
    ctx.lineTo(b[0], b[1]);
    ctx.stroke();
  };

  SignaturePad.prototype.redraw = function () {
    this.ctx.setTransform(1, 0, 0, 1, 0, 0);
    this.ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    for (var s = 0; s < this.strokes.length; s++) {
      var stroke = this.strokes[s];
      this.drawDot(stroke[0]);
      for (var i = 1; i < stroke.length; i++) this.drawSegment(stroke[i - 1], stroke[i]);
    }
    this.form.classList.toggle("has-ink", this.strokes.length > 0);
  };

  SignaturePad.prototype.isEmpty = function () {
    for (var s = 0; s < this.strokes.length; s++) if (this.strokes[s].length > 1) return false;
    return true;
  };

  SignaturePad.prototype.pngDataUrl = function () {
    // Export on white: a transparent PNG would look blank in viewers with a dark background.
    var out = document.createElement("canvas");
    out.width = this.canvas.width;
    out.height = this.canvas.height;
    var ctx = out.getContext("2d");
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, out.width, out.height);
    ctx.drawImage(this.canvas, 0, 0);
    return out.toDataURL("image/png");
  };

  SignaturePad.prototype.onSubmit = function (e) {
    if (this.isEmpty()) {
      e.preventDefault();
      this.showError(this.form.getAttribute("data-msg-empty"));
      return;
    }
    if (this.form.getAttribute("data-sending")) {
      e.preventDefault();  // one confirmation per tap, even when the network is slow
      return;
    }
    this.form.elements.signature.value = this.pngDataUrl();
    this.form.elements.strokes.value = JSON.stringify(this.strokes);
    this.form.setAttribute("data-sending", "1");
    this.submit.textContent = this.form.getAttribute("data-msg-sending");
  };

  SignaturePad.prototype.showError = function (text) {
    this.error.textContent = text;
    this.error.hidden = false;
  };

  SignaturePad.prototype.hideError = function () {
    this.error.hidden = true;
  };

  // Opened as a Telegram Mini App, the page gets initData in the URL fragment; the server checks
  // its HMAC and that it names the signer. The fragment never reaches the server otherwise.
  function telegramInitData() {
    var hash = window.location.hash.slice(1);
    if (!hash || !window.URLSearchParams) return "";
    return new URLSearchParams(hash).get("tgWebAppData") || "";
  }

  function start() {
    var forms = document.querySelectorAll("form[data-signature-pad]");
    var initData = telegramInitData();
    for (var i = 0; i < forms.length; i++) {
      if (forms[i].elements.init_data) forms[i].elements.init_data.value = initData;
      new SignaturePad(forms[i]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
