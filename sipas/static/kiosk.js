/* SIPAS kiosk: the screens run locally; every completed response goes into a persistent IndexedDB queue
 * (with its client UUID and this device's next sequence number) and leaves the queue only when the server
 * confirmed it (201 created or 200 already received). Without this script the page works as plain forms. */
(function () {
  "use strict";
  var root = document.getElementById("kiosk");
  if (!root || !window.indexedDB || !window.fetch || !window.Promise) { return; }
  var cfg = root.dataset;
  var form = document.getElementById("k-form");
  var screens = Array.prototype.slice.call(root.querySelectorAll(".k-screen"));
  var thanks = document.getElementById("k-thanks");
  var badge = document.getElementById("k-queue");
  var answers = {};
  var current = 0;
  var idleTimer = null;
  var busyUntil = 0;
  var backoff = 2000;
  var retryTimer = null;
  var syncing = false;
  var revoked = false;
  var pending = Promise.resolve();
  /* Taps within this time after a screen changes are ignored: a quick double tap on one screen must not
   * answer the next question, which the citizen has not seen yet. */
  var TAP_GUARD_MS = 500;
  var tapGuardUntil = 0;
  var shownCount = 0;
  var RESUME_KEY = "sipas-kiosk-resume";

  /* ---------- IndexedDB: outbox (waiting), rejected (kept for staff), meta (sequence counter) ---------- */
  var dbPromise = new Promise(function (resolve, reject) {
    var req = indexedDB.open("sipas-kiosk", 1);
    req.onupgradeneeded = function () {
      var db = req.result;
      db.createObjectStore("outbox", { keyPath: "seq" });
      db.createObjectStore("rejected", { keyPath: "seq" });
      db.createObjectStore("meta", { keyPath: "k" });
    };
    req.onsuccess = function () { resolve(req.result); };
    req.onerror = function () { reject(req.error); };
  });

  function tx(stores, mode, work) {
    return dbPromise.then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(stores, mode);
        var result;
        t.oncomplete = function () { resolve(result); };
        t.onerror = t.onabort = function () { reject(t.error); };
        result = work(t);
      });
    });
  }

  /* The sequence number and the queued response are written in one transaction: no number is used twice
   * and none is skipped, so gaps seen by the server really mean lost responses. */
  function enqueue(body) {
    return tx(["meta", "outbox"], "readwrite", function (t) {
      var meta = t.objectStore("meta");
      var holder = {};
      meta.get("seq").onsuccess = function (e) {
        var seq = ((e.target.result && e.target.result.v) || 0) + 1;
        meta.put({ k: "seq", v: seq });
        body.device_seq = seq;
        t.objectStore("outbox").add({ seq: seq, body: body, queued_at: new Date().toISOString() });
        holder.seq = seq;
      };
      return holder;
    });
  }

  function all(store) {
    return tx([store], "readonly", function (t) {
      var holder = { items: [] };
      t.objectStore(store).getAll().onsuccess = function (e) { holder.items = e.target.result || []; };
      return holder;
    }).then(function (h) { return h.items; });
  }

  function remove(seq) {
    return tx(["outbox"], "readwrite", function (t) { t.objectStore("outbox").delete(seq); });
  }

  function reject(item, status, text) {
    return tx(["outbox", "rejected"], "readwrite", function (t) {
      t.objectStore("rejected").put({ seq: item.seq, body: item.body, status: status, reply: text,
                                      rejected_at: new Date().toISOString() });
      t.objectStore("outbox").delete(item.seq);
    });
  }

  /* ---------- sending, with retries and back-off ---------- */
  function later(ms) {
    if (retryTimer) { clearTimeout(retryTimer); }
    retryTimer = setTimeout(sync, ms);
  }

  function sendOne(item) {
    return fetch(cfg.api, {
      // The device is known by its HttpOnly cookie (SameSite=Strict): the script never sees the token.
      method: "POST", cache: "no-store", credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(item.body)
    });
  }

  function sync() {
    if (syncing || revoked) { return Promise.resolve(); }
    syncing = true;
    return all("outbox").then(function (items) {
      items.sort(function (a, b) { return a.seq - b.seq; });
      var chain = Promise.resolve(true);
      items.forEach(function (item) {
        chain = chain.then(function (go) {
          if (!go) { return false; }
          return sendOne(item).then(function (res) {
            if (res.status === 201 || res.status === 200) { backoff = 2000; return remove(item.seq).then(function () { return true; }); }
            if (res.status === 409 || res.status === 422) {
              return res.text().then(function (text) { return reject(item, res.status, text); }).then(function () { return true; });
            }
            if (res.status === 401 || res.status === 403) { revoked = true; return false; }
            later(backoff); backoff = Math.min(backoff * 2, 300000); return false;  // 5xx: try again later
          }, function () { later(backoff); backoff = Math.min(backoff * 2, 300000); return false; });  // offline
        });
      });
      return chain;
    }).catch(function () { later(backoff); }).then(function () { syncing = false; return showQueue(); });
  }

  function showQueue() {
    return Promise.all([all("outbox"), all("rejected")]).then(function (lists) {
      var waiting = lists[0].length, rejected = lists[1].length;
      var parts = [];
      if (revoked) { parts.push(cfg.labelRevoked); }
      if (waiting) { parts.push(waiting + " " + cfg.labelWaiting); }
      if (rejected) { parts.push(rejected + " " + cfg.labelRejected); }
      badge.textContent = parts.join(" · ");
      badge.hidden = parts.length === 0;
      badge.setAttribute("data-waiting", String(waiting));
      badge.setAttribute("data-rejected", String(rejected));
    });
  }

  /* ---------- screens ---------- */
  function show(index) {
    var hadFocus = form.contains(document.activeElement) && document.activeElement !== form;
    current = index;
    tapGuardUntil = Date.now() + TAP_GUARD_MS;
    // data-accepting tells staff tools and tests when taps count again on this screen.
    root.removeAttribute("data-accepting");
    var shown = ++shownCount;
    setTimeout(function () { if (shown === shownCount) { root.setAttribute("data-accepting", "1"); } }, TAP_GUARD_MS);
    screens.forEach(function (s, i) { s.hidden = i !== index; });
    root.setAttribute("data-current", String(index));
    // No answer is ever focused for the citizen (it would look pre-selected). A keyboard user who was on the
    // previous screen continues from the new question's heading.
    var heading = screens[index] && screens[index].querySelector(".k-question");
    if (hadFocus && heading) { heading.focus({ preventScroll: true }); }
  }

  /* Back to the first screen for the next citizen: nothing kept, and always in Vietnamese. */
  function reset() {
    answers = {};
    if (cfg.lang !== "vi") {
      pending.then(function () { window.location.replace(cfg.home); });
      return;
    }
    thanks.hidden = true;
    form.hidden = false;
    if (document.activeElement && document.activeElement.blur) { document.activeElement.blur(); }
    show(0);
  }

  function uuid() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function finish() {
    var body = { id: uuid(), round: cfg.round, agency: cfg.agency, service_point: cfg.servicePoint, channel: "kiosk",
                 profile: cfg.profile, answers: answers, created_at: new Date().toISOString() };
    answers = {};
    form.hidden = true;
    thanks.hidden = false;
    busyUntil = Date.now() + Number(cfg.thanks) * 1000;
    pending = enqueue(body).then(function () { return showQueue(); });
    pending.then(sync);
    setTimeout(reset, Number(cfg.thanks) * 1000);
  }

  form.addEventListener("submit", function (e) { e.preventDefault(); });
  form.addEventListener("click", function (e) {
    var button = e.target.closest ? e.target.closest("button[name=answer]") : null;
    if (!button) { return; }
    e.preventDefault();
    if (Date.now() < tapGuardUntil) { return; }
    var parts = button.value.split(":");
    if (parts[1] !== "") { answers[parts[0]] = parseInt(parts[1], 10); } else { delete answers[parts[0]]; }
    if (current + 1 >= screens.length) { finish(); } else { show(current + 1); }
  });

  form.addEventListener("click", function (e) {
    var back = e.target.closest ? e.target.closest("button[name=nav]") : null;
    if (back) {
      e.preventDefault();
      if (Date.now() >= tapGuardUntil && current > 0) { show(current - 1); }
      return;
    }
    var restart = e.target.closest ? e.target.closest("a.k-restart") : null;
    if (restart) { e.preventDefault(); reset(); }
  });

  /* Switching language reloads the page in the other language and comes back to the same question: the answers
   * so far wait in sessionStorage (this tab only) for that one page load, and are removed as soon as read. */
  Array.prototype.forEach.call(root.querySelectorAll("button[name=switch_lang]"), function (button) {
    button.addEventListener("click", function (e) {
      e.preventDefault();
      if (button.value === cfg.lang) { return; }
      try {
        sessionStorage.setItem(RESUME_KEY, JSON.stringify({ answers: answers, current: current, at: Date.now() }));
      } catch (err) { /* storage refused: the new page starts at the first question */ }
      window.location.assign(button.formAction);
    });
  });

  function resume() {
    var saved = null;
    try { saved = JSON.parse(sessionStorage.getItem(RESUME_KEY) || "null"); sessionStorage.removeItem(RESUME_KEY); }
    catch (err) { saved = null; }
    if (!saved || typeof saved.current !== "number" || Date.now() - saved.at > Number(cfg.timeout) * 1000) { return false; }
    answers = saved.answers || {};
    show(Math.max(0, Math.min(saved.current, screens.length - 1)));
    return true;
  }

  /* Inactivity: back to the first screen, dropping a half-finished response. */
  function touched() {
    if (idleTimer) { clearTimeout(idleTimer); }
    idleTimer = setTimeout(function () {
      if (Date.now() >= busyUntil && (current > 0 || Object.keys(answers).length || cfg.lang !== "vi")) { reset(); }
    }, Number(cfg.timeout) * 1000);
  }
  ["pointerdown", "keydown", "touchstart"].forEach(function (ev) { document.addEventListener(ev, touched, true); });

  window.addEventListener("online", function () { backoff = 2000; sync(); });
  setInterval(sync, 15000);
  if (navigator.serviceWorker) { navigator.serviceWorker.register(cfg.sw, { scope: "/kiosk/" }).catch(function () {}); }
  root.setAttribute("data-ready", "1");
  if (!resume()) { thanks.hidden = true; form.hidden = false; show(0); }
  touched();
  sync();
})();
