// The console's only script (CSP: default-src 'self', no inline script). Three jobs:
// count down each request's time left, refresh the pending list when the server says something changed
// (server-sent events from /events, or every 5 s on the fleet service; a request's own page only offers a reload), and
// mark edited arguments.
"use strict";

function tick() {
  const now = Date.now();
  for (const el of document.querySelectorAll("[data-deadline]")) {
    const left = Math.floor((Number(el.dataset.deadline) - now) / 1000);
    if (left <= 0) { el.textContent = "time is up"; el.classList.add("late"); continue; }
    const h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
    el.textContent = (h > 0 ? h + " h " : "") + m + " min " + String(s).padStart(2, "0") + " s left";
    el.classList.toggle("soon", left < 120);
  }
}

// One refresh at a time, repeated while changes arrive during it: an older response never overwrites a newer list.
let refreshing = false, again = false;
async function refresh(list) {
  if (refreshing) { again = true; return; }
  refreshing = true;
  try {
    do {
      again = false;
      const r = await fetch(list.dataset.live, { credentials: "same-origin", cache: "no-store" });
      if (r.status === 401) { location.assign("/signin"); return; }
      if (r.ok) { list.innerHTML = await r.text(); tick(); }
    } while (again);
  } finally {
    refreshing = false;
  }
}

function live() {
  const list = document.getElementById("pending-list");
  const request = document.getElementById("request");
  if (!list && !request) return;
  // The fleet service's replicas share no event stream (a vote may land on any of them): its pending list polls.
  if (document.body.dataset.live === "poll") {
    if (list) setInterval(() => refresh(list), 5000);
    return;
  }
  const events = new EventSource("/events");
  // Whatever changed between rendering the page and (re)connecting the stream was not announced on it.
  if (list) events.addEventListener("open", () => refresh(list));
  events.addEventListener("changed", (e) => {
    if (list) refresh(list);
    else if (e.data === request.dataset.intent) document.getElementById("changed").hidden = false; // never reload under a typing approver
  });
}

function markEdits() {
  for (const input of document.querySelectorAll("[data-requested]")) {
    const mark = () => input.classList.toggle("changed", input.value !== input.dataset.requested);
    input.addEventListener("input", mark);
    input.addEventListener("change", mark);
  }
}

document.addEventListener("DOMContentLoaded", () => {
  tick();
  setInterval(tick, 1000);
  live();
  markEdits();
});
