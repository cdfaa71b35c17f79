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
      method: "POST", cache: "no-store", credentials: "omit",
      headers: { "Content-Type": "application/json", "Authorization": "Bearer " + cfg.token },
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
    current = index;
    screens.forEach(function (s, i) { s.hidden = i !== index; });
    var first = screens[index] && screens[index].querySelector("button");
    if (first) { first.focus({ preventScroll: true }); }
  }

  function reset() {
    answers = {};
    thanks.hidden = true;
    form.hidden = false;
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
    enqueue(body).then(function () { return showQueue(); }).then(sync);
    setTimeout(reset, Number(cfg.thanks) * 1000);
  }

  form.addEventListener("submit", function (e) { e.preventDefault(); });
  form.addEventListener("click", function (e) {
    var button = e.target.closest ? e.target.closest("button[name=answer]") : null;
    if (!button) { return; }
    e.preventDefault();
    var parts = button.value.split(":");
    if (parts[1] !== "") { answers[parts[0]] = parseInt(parts[1], 10); } else { delete answers[parts[0]]; }
    if (current + 1 >= screens.length) { finish(); } else { show(current + 1); }
  });

  /* Inactivity: back to the first screen, dropping a half-finished response. */
  function touched() {
    if (idleTimer) { clearTimeout(idleTimer); }
    idleTimer = setTimeout(function () {
      if (Date.now() >= busyUntil && (current > 0 || Object.keys(answers).length)) { reset(); }
    }, Number(cfg.timeout) * 1000);
  }
  ["pointerdown", "keydown", "touchstart"].forEach(function (ev) { document.addEventListener(ev, touched, true); });

  window.addEventListener("online", function () { backoff = 2000; sync(); });
  setInterval(sync, 15000);
  if (navigator.serviceWorker) { navigator.serviceWorker.register(cfg.sw, { scope: "/kiosk/" }).catch(function () {}); }
  root.setAttribute("data-ready", "1");
  reset();
  touched();
  sync();
})();
