/* Kiosk service worker: keeps the kiosk page and its assets so the tablet starts and runs offline.
 * Responses are never sent from here: the page queues them in IndexedDB and sends them itself. */
"use strict";
var CACHE = "sipas-kiosk-v2";  // v1 pages carried the device token: dropped on activation
var ASSETS = ["/kiosk/", "/static/kiosk.css", "/static/kiosk.js"];

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (c) { return c.addAll(ASSETS); }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k !== CACHE; }).map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin || url.pathname.indexOf("/api/") === 0) { return; }
  if (request.mode === "navigate") {
    // Network first, so a new questionnaire arrives when online; the cached page when offline.
    event.respondWith(fetch(request).then(function (response) {
      if (response.ok) {
        var copy = response.clone();
        // The Vietnamese page is the start page; the English one is kept apart, so an offline restart is Vietnamese.
        var start = url.pathname === "/kiosk/" && (url.search === "" || url.search === "?lang=vi");
        caches.open(CACHE).then(function (c) { c.put(start ? "/kiosk/" : request, copy); });
      }
      return response;
    }).catch(function () {
      return caches.match(request).then(function (hit) { return hit || caches.match("/kiosk/"); });
    }));
    return;
  }
  event.respondWith(caches.match(request).then(function (hit) {
    return hit || fetch(request).then(function (response) {
      if (response.ok) { var copy = response.clone(); caches.open(CACHE).then(function (c) { c.put(request, copy); }); }
      return response;
    });
  }));
});
