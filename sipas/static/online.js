/* Online questionnaire: shows progress, and keeps answers in this browser if the page is reloaded or the
 * phone drops the connection, until the form has been sent. Without this script the form still works. */
(function () {
  "use strict";
  var form = document.getElementById("o-form");
  if (!form) {
    if (document.querySelector("[data-sent='1']")) {
      try {
        Object.keys(localStorage).forEach(function (k) { if (k.indexOf("sipas-form:") === 0) { localStorage.removeItem(k); } });
      } catch (e) { /* storage disabled: nothing kept */ }
    }
    return;
  }
  var key = "sipas-form:" + form.getAttribute("data-key");
  var skip = { csrf_token: 1, website: 1, confirm_incomplete: 1 };

  function save() {
    var data = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || skip[el.name]) { return; }
      if (el.type === "radio") { if (el.checked) { data[el.name] = el.value; } }
      else if (el.type === "checkbox") { data[el.name] = el.checked; }
      else if (el.type !== "submit") { data[el.name] = el.value; }
    });
    try { localStorage.setItem(key, JSON.stringify(data)); } catch (e) { /* storage full or disabled */ }
    progress();
  }

  function restore() {
    var data;
    try { data = JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { data = null; }
    if (!data) { return; }
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || skip[el.name] || !(el.name in data)) { return; }
      if (el.type === "radio") { if (!form.querySelector("input[name='" + CSS.escape(el.name) + "']:checked")) { el.checked = el.value === data[el.name]; } }
      else if (el.type === "checkbox") { el.checked = !!data[el.name]; }
      else if (el.type !== "submit" && !el.value) { el.value = data[el.name]; }
    });
    // Keep the same response id as before the reload: a retry is then "already received", not a duplicate.
    if (data.response_id && form.elements.response_id) { form.elements.response_id.value = data.response_id; }
  }

  function progress() {
    var groups = form.querySelectorAll(".o-question");
    var done = 0;
    Array.prototype.forEach.call(groups, function (g) { if (g.querySelector("input:checked")) { done += 1; } });
    var bar = document.getElementById("o-progress-bar");
    var text = document.getElementById("o-progress-text");
    bar.hidden = false;
    bar.value = groups.length ? Math.round(100 * done / groups.length) : 0;
    text.textContent = done + " / " + groups.length;
  }

  restore();
  form.addEventListener("change", save);
  form.addEventListener("input", save);
  save();
})();
