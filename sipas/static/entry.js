/* Paper entry, keyboard only: Enter moves to the next box (the last Enter saves); a valid single digit
 * moves on by itself; a value off the scale is flagged at once. Without this script Tab works as usual. */
(function () {
  "use strict";
  var form = document.getElementById("keyform");
  if (!form) { return; }
  var boxes = Array.prototype.slice.call(form.querySelectorAll("input[name]:not([type=hidden]), textarea"));

  function next(el) {
    var i = boxes.indexOf(el);
    if (i >= 0 && i + 1 < boxes.length) { boxes[i + 1].focus(); boxes[i + 1].select && boxes[i + 1].select(); }
    else { form.requestSubmit ? form.requestSubmit() : form.submit(); }
  }

  function check(el) {
    var allowed = el.getAttribute("data-allowed");
    if (!allowed) { return true; }
    var ok = el.value === "" || allowed.split(",").indexOf(el.value) >= 0;
    el.parentNode.classList.toggle("invalid", !ok);
    var msg = document.getElementById("e-" + el.name);
    if (msg) { msg.textContent = ok ? "" : "≠ " + allowed.replace(/,/g, " ") ; }
    return ok;
  }

  form.addEventListener("keydown", function (e) {
    if (e.key !== "Enter" || e.target.tagName === "BUTTON") { return; }
    if (e.target.tagName === "TEXTAREA" && e.shiftKey) { return; }
    e.preventDefault();
    if (check(e.target)) { next(e.target); }
  });
  form.addEventListener("input", function (e) {
    var el = e.target;
    if (!el.getAttribute("data-allowed")) { return; }
    var allowed = el.getAttribute("data-allowed").split(",");
    var single = allowed.every(function (v) { return v.length === 1; });
    if (check(el) && single && el.value.length === 1) { next(el); }
  });
})();
