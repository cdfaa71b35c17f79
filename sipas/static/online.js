/* Online questionnaire: shows progress, and keeps answers in this tab if the page is reloaded or the phone
 * drops the connection, until the form has been sent. Phones and office PCs are shared: answers live only in
 * sessionStorage (gone when the tab closes), the free-text comment is never kept, and kept answers expire
 * after data-idle minutes without input. Without this script the form still works. */
(function () {
  "use strict";
  function forget(store) {
    try {
      Object.keys(store).forEach(function (k) { if (k.indexOf("sipas-form:") === 0) { store.removeItem(k); } });
    } catch (e) { /* storage disabled: nothing kept */ }
  }
  forget(window.localStorage);  // answers that earlier versions kept across tabs and people
  var form = document.getElementById("o-form");
  if (!form) {
    if (document.querySelector("[data-sent='1']")) { forget(window.sessionStorage); }
    return;
  }
  var key = "sipas-form:" + form.getAttribute("data-key");
  var idleMs = Number(form.getAttribute("data-idle") || 20) * 60000;
  var skip = { csrf_token: 1, website: 1, confirm_incomplete: 1, comment: 1 };
  var idleTimer = null;

  function save() {
    var data = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || skip[el.name]) { return; }
      if (el.type === "radio") { if (el.checked) { data[el.name] = el.value; } }
      else if (el.type === "checkbox") { data[el.name] = el.checked; }
      else if (el.type !== "submit" && el.tagName !== "TEXTAREA") { data[el.name] = el.value; }
    });
    data._at = Date.now();
    try { sessionStorage.setItem(key, JSON.stringify(data)); } catch (e) { /* storage full or disabled */ }
    progress();
    if (idleTimer) { clearTimeout(idleTimer); }
    // Left alone: forget the answers and show a clean form to whoever comes next.
    idleTimer = setTimeout(function () {
      try { sessionStorage.removeItem(key); } catch (e) { /* nothing kept */ }
      window.location.replace(window.location.pathname + window.location.search);
    }, idleMs);
  }

  function restore() {
    var data;
    try { data = JSON.parse(sessionStorage.getItem(key) || "null"); } catch (e) { data = null; }
    if (!data || !(Date.now() - (data._at || 0) < idleMs)) { return; }
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

  /* "Choose at most N": a tick beyond the limit is undone at once, with the reason shown beside it. */
  form.addEventListener("change", function (e) {
    var box = e.target;
    if (box.type !== "checkbox") { return; }
    var fieldset = box.closest("fieldset[data-max]");
    if (!fieldset) { return; }
    var max = Number(fieldset.getAttribute("data-max"));
    var ticked = fieldset.querySelectorAll("input[type=checkbox]:checked").length;
    var note = fieldset.querySelector(".o-limit");
    if (box.checked && ticked > max) {
      box.checked = false;
      if (note) { note.hidden = false; }
    } else if (note && ticked < max) {
      note.hidden = true;
    }
  }, true);

  restore();
  form.addEventListener("change", save);
  form.addEventListener("input", save);
  save();
})();
