/* Paper entry, keyboard only: the serial is checked as soon as it is typed (Enter or leaving the box) by the
 * same rule as Save; Enter moves to the next box (the last Enter saves); a valid single digit moves on by
 * itself; a value off the scale, or one choice too many in a "tick at most N" question, is flagged at once;
 * an all-blank form asks for a second Save. Messages come from the page (the translation catalogue).
 * Without this script Tab works as usual and the server says the same at Save. */
(function () {
  "use strict";
  var form = document.getElementById("keyform");
  if (!form) { return; }
  var boxes = Array.prototype.slice.call(form.querySelectorAll("input[name]:not([type=hidden]), textarea"));
  var serial = document.getElementById("f-serial");
  var answers = boxes.filter(function (el) { return el.hasAttribute("data-allowed"); });

  function say(name, values) {
    var text = form.getAttribute("data-msg-" + name) || "";
    Object.keys(values || {}).forEach(function (k) { text = text.split("{" + k + "}").join(values[k]); });
    return text;
  }

  function show(el, message) {
    var target = el.parentNode.classList.contains("keycell") ? el.parentNode : el;
    target.classList.toggle("invalid", !!message);
    var box = document.getElementById("e-" + el.name);
    if (box) { box.textContent = message; }
    return !message;
  }

  function next(el) {
    var i = boxes.indexOf(el);
    if (i >= 0 && i + 1 < boxes.length) { boxes[i + 1].focus(); boxes[i + 1].select && boxes[i + 1].select(); }
    else { form.requestSubmit ? form.requestSubmit() : form.submit(); }
  }

  function ticked(block) {
    return answers.filter(function (b) { return b.getAttribute("data-block") === block && b.value === "1"; }).length;
  }

  function check(el) {
    var allowed = el.getAttribute("data-allowed");
    if (!allowed) { return true; }
    if (el.value !== "" && allowed.split(",").indexOf(el.value) < 0) {
      return show(el, say("scale", {value: el.value, allowed: allowed.split(",").join(", ")}));
    }
    var block = el.getAttribute("data-block"), most = parseInt(el.getAttribute("data-max"), 10);
    if (block && el.value === "1" && ticked(block) > most) {
      return show(el, say("max", {n: most, ticked: ticked(block)}));
    }
    return show(el, "");
  }

  var checked = null;  // the serial last checked and found right
  function checkSerial(then) {
    var typed = serial.value.trim();
    if (!typed) { return; }
    if (typed === checked) { if (then) { then(); } return; }
    var url = form.getAttribute("data-check-url") + "?serial=" + encodeURIComponent(typed);
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (answer) {
        if (serial.value.trim() !== typed) { return; }  // typed on meanwhile: the next check decides
        show(serial, answer.ok ? "" : answer.message);
        if (answer.ok) { checked = typed; if (then) { then(); } } else { serial.focus(); serial.select(); }
      })
      .catch(function () { show(serial, say("unchecked")); if (then) { then(); } });
  }

  function allBlank() {
    var comment = form.querySelector("textarea[name=comment]");
    return answers.every(function (b) { return b.value.trim() === ""; }) && !(comment && comment.value.trim());
  }

  serial.addEventListener("blur", function () { checkSerial(null); });
  serial.addEventListener("input", function () { checked = null; });
  form.addEventListener("keydown", function (e) {
    if (e.key !== "Enter" || e.target.tagName === "BUTTON") { return; }
    if (e.target.tagName === "TEXTAREA" && e.shiftKey) { return; }
    e.preventDefault();
    if (e.target === serial) { checkSerial(function () { next(serial); }); return; }
    if (check(e.target)) { next(e.target); }
  });
  form.addEventListener("input", function (e) {
    var el = e.target;
    if (!el.getAttribute("data-allowed")) { return; }
    var single = el.getAttribute("data-allowed").split(",").every(function (v) { return v.length === 1; });
    if (check(el) && single && el.value.length === 1) { next(el); }
  });
  form.addEventListener("submit", function (e) {
    // An all-blank form is saved only when the keyer saves again after the warning (as the server asks).
    if (form.querySelector("input[name=confirm_blank]") || !allBlank()) { return; }
    e.preventDefault();
    var confirm = document.createElement("input");
    confirm.type = "hidden"; confirm.name = "confirm_blank"; confirm.value = "1";
    form.appendChild(confirm);
    document.getElementById("e-blank").textContent = say("blank");
    document.getElementById("f-save").focus();
  });
})();
