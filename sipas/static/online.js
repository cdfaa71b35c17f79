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
    data._step = current;
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
    keptStep = Number(data._step) || 0;  // a reload comes back to the section the citizen was on
  }

  function progress() {
    var bar = document.getElementById("o-progress-bar");
    var text = document.getElementById("o-progress-text");
    var total = steps.length || 1;
    bar.hidden = false;
    bar.value = Math.round(100 * (current + 1) / total);
    text.textContent = (form.getAttribute("data-step-text") || "{n}/{total}")
      .replace("{n}", String(current + 1)).replace("{total}", String(total));
  }

  /* One section per screen (the whole form stays one page without this script): Back and Continue move
   * between sections; questions left blank are marked once, and a second Continue goes on (every question
   * may be left blank; the server's summary stays the authority). */
  var steps = Array.prototype.slice.call(form.querySelectorAll("fieldset.o-section"));
  var comment = document.getElementById("s-comment");
  var nav = form.querySelector(".o-nav");
  var back = form.querySelector(".o-back");
  var next = form.querySelector(".o-next");
  var send = form.querySelector(".o-send");
  var missingNote = form.querySelector(".o-step-missing");
  var current = 0;
  var keptStep = 0;
  var warned = -1;

  function stepOf(el) {
    for (var i = 0; i < steps.length; i += 1) { if (steps[i].contains(el)) { return i; } }
    return -1;
  }

  function show(i, target) {
    current = Math.max(0, Math.min(i, steps.length - 1));
    var last = current === steps.length - 1;
    steps.forEach(function (s, k) { s.hidden = k !== current; });
    if (comment) { comment.hidden = !last; }
    back.hidden = current === 0;
    next.hidden = last;
    send.hidden = !last;
    missingNote.hidden = true;
    warned = -1;
    // Who asks and how long: said on the first screen; later screens start with the question.
    document.body.classList.toggle("o-later", current > 0);
    progress();
    var where = target || steps[current].querySelector("legend");
    if (where) { where.scrollIntoView({ block: "start" }); }
  }

  function unanswered(step) {
    return Array.prototype.filter.call(step.querySelectorAll(".o-question[data-expected]"), function (q) {
      return !q.querySelector("input:checked");
    });
  }

  function flag(questions) {
    Array.prototype.forEach.call(form.querySelectorAll(".o-question"), function (q) {
      var marked = questions.indexOf(q) >= 0;
      q.classList.toggle("o-unanswered", marked);
      q.querySelector(".o-flag").hidden = !marked;
    });
  }

  function paginate() {
    if (!steps.length || !nav) { return; }
    form.classList.add("o-paged");
    nav.hidden = false;
    back.addEventListener("click", function () { flag([]); show(current - 1); save(); });
    next.addEventListener("click", function () {
      var missing = unanswered(steps[current]);
      if (missing.length && warned !== current) {
        flag(missing);
        missingNote.hidden = false;
        warned = current;
        missing[0].scrollIntoView({ block: "start" });
        return;
      }
      flag([]);
      show(current + 1);
      save();
    });
    // Links of the server's summary and problems open the section of the question they name.
    document.addEventListener("click", function (e) {
      var link = e.target.closest ? e.target.closest("a[href^='#q-']") : null;
      var el = link && document.getElementById(decodeURIComponent(link.getAttribute("href").slice(1)));
      if (!el || stepOf(el) < 0) { return; }
      e.preventDefault();
      show(stepOf(el), el);
    });
    form.addEventListener("change", function (e) {
      var q = e.target.closest(".o-question");
      if (q) { q.classList.remove("o-unanswered"); q.querySelector(".o-flag").hidden = true; }
    });
    var invalid = form.querySelector(".o-invalid");
    // After a refused send: the question to correct, or the last section with the Send button.
    if (invalid) { show(stepOf(invalid), invalid); }
    else if (document.getElementById("missing") || document.getElementById("refused")) { show(steps.length - 1); }
    else { show(keptStep); window.scrollTo(0, 0); }
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
  paginate();
  form.addEventListener("change", save);
  form.addEventListener("input", save);
  save();
})();
