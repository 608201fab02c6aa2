// The kiosk: one question, one tap, a thank-you, reset. Works offline: taps go to the
// IndexedDB outbox first and a Sender delivers them when the server answers.

import * as outbox from "./outbox.js";
import { Sender, clearDroppedLog, droppedLog } from "./sender.js";
import { colour, icon } from "./faces.js";

const TOKEN_KEY = "kiosk.token";
const CONFIG_KEY = "kiosk.config";
const ETAG_KEY = "kiosk.etag";
const API = "/api/v1";
const APP_VERSION = document.querySelector('meta[name="kiosk-app-version"]').content;

const $ = (id) => document.getElementById(id);
const state = { config: null, lang: "en", busy: false, screen: "loading", timers: {}, lastActivity: Date.now() };
let sender = null;

// ---------- ids and time ----------

function uuid4() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16)); // plain-http kiosks have no randomUUID
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

// ---------- screens ----------

function show(name) {
  for (const section of document.querySelectorAll(".screen")) section.hidden = section.id !== `screen-${name}`;
  state.screen = name;
  $("app").dataset.state = name;
  $("pra").hidden = !(state.config && state.config.pra) || name === "unenrolled";
}

function text() {
  return state.config.text[state.lang] || state.config.text[state.config.default_language];
}

function renderLanguages() {
  const nav = $("langs");
  nav.replaceChildren();
  nav.setAttribute("aria-label", text().language);
  for (const lang of state.config.languages) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "lang";
    button.lang = lang;
    button.textContent = state.config.text[lang].language_name;
    button.setAttribute("aria-pressed", String(lang === state.lang));
    button.addEventListener("click", () => setLanguage(lang));
    nav.append(button);
  }
}

function renderScale() {
  const { points } = state.config.survey;
  const labels = text().labels;
  const scale = $("scale");
  scale.replaceChildren();
  scale.dataset.points = points;
  // Best first: the order visitors read from the left on the FeedbackUSA-style kiosks.
  for (let rating = points; rating >= 1; rating -= 1) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "rate";
    button.dataset.rating = rating;
    button.style.setProperty("--tone", colour(points, rating));
    button.innerHTML = `${icon(points, rating)}<span class="label"></span>`;
    button.querySelector(".label").textContent = labels[rating - 1];
    button.addEventListener("click", (event) => tap(rating, event));
    scale.append(button);
  }
}

function renderTexts() {
  const t = text();
  document.documentElement.lang = state.lang;
  $("question").textContent = t.question;
  $("followup-hint").textContent = t.followup_hint;
  $("followup-done").textContent = t.done;
  $("followup-skip").textContent = t.skip;
  $("thanks-title").textContent = t.thanks;
  $("thanks-detail").textContent = t.thanks_detail;
  $("idle-title").textContent = t.question || t.idle_title;
  $("idle-cta").textContent = t.idle_cta;
  $("scale").setAttribute("aria-label", t.scale_label);
  const pra = state.config.pra;
  if (pra) {
    $("pra-text").textContent =
      `${t.omb_control_number} ${pra.omb_control_number}` + (pra.expiration ? ` · ${t.omb_expires} ${pra.expiration}` : "");
    $("pra-open").textContent = t.burden_link;
    $("pra-dialog-title").textContent = t.burden_link;
    $("pra-statement").textContent = pra.burden_statement;
    $("pra-close").textContent = t.close;
  }
  renderLanguages();
  renderScale();
  if (state.screen === "followup") renderChips(state.current.rating);
}

function setLanguage(lang) {
  state.lang = lang;
  activity();
  renderTexts();
}

// ---------- the visitor's flow ----------

function setBusy(busy) {
  state.busy = busy;
  for (const button of document.querySelectorAll(".rate")) button.disabled = busy;
}

function positive(rating) {
  return rating >= state.config.survey.positive_from;
}

function renderChips(rating) {
  const side = positive(rating) ? "positive" : "negative";
  const t = text();
  $("followup-title").textContent = side === "positive" ? t.followup_positive : t.followup_negative;
  const chips = $("chips");
  const chosen = new Set(state.current ? state.current.chosen : []);
  chips.replaceChildren();
  for (const key of state.config.survey.followup) {
    const chip = document.createElement("button");
    chip.type = "button";
    chip.className = "chip";
    chip.dataset.choice = key;
    chip.textContent = t.choices[side][key];
    chip.setAttribute("aria-pressed", String(chosen.has(key)));
    chip.addEventListener("click", () => {
      activity();
      const on = chip.getAttribute("aria-pressed") !== "true";
      chip.setAttribute("aria-pressed", String(on));
      if (on) state.current.chosen.push(key);
      else state.current.chosen = state.current.chosen.filter((c) => c !== key);
      restartFollowupTimer();
    });
    chips.append(chip);
  }
}

function restartFollowupTimer() {
  clearTimeout(state.timers.followup);
  state.timers.followup = setTimeout(() => finishFollowup(true), state.config.timing.followup_seconds * 1000);
}

async function tap(rating, event) {
  if (state.busy || !state.config) return;
  setBusy(true);
  activity();
  // Measured from the input event itself (bench/kiosk.py reads these marks).
  performance.mark("kiosk-tap", { startTime: event ? event.timeStamp : performance.now() });
  const followup = state.config.survey.followup;
  const body = {
    id: uuid4(),
    rating,
    language: state.lang,
    client_time: new Date().toISOString(),
    survey_version: state.config.survey.version,
    followup_offered: followup.length ? [...followup] : [],
    followup_chosen: [],
  };
  try {
    // Durable before anything else: a reload from here on still delivers the rating.
    await outbox.put(body, followup.length > 0);
  } catch (error) {
    console.error("outbox write failed", error);
  }
  if (followup.length) {
    state.current = { id: body.id, rating, chosen: [] };
    renderChips(rating);
    show("followup");
    $("followup-done").focus();
    restartFollowupTimer();
  } else {
    thankYou();
  }
}

async function finishFollowup(keepChosen) {
  if (state.screen !== "followup" || !state.current) return;
  clearTimeout(state.timers.followup);
  const { id, chosen } = state.current;
  state.current = null;
  await outbox.finish(id, { followup_chosen: keepChosen ? chosen : [] });
  thankYou();
}

function thankYou() {
  show("thanks");
  performance.mark("kiosk-thanks");
  requestAnimationFrame(() => performance.mark("kiosk-thanks-frame"));
  updateStatus();
  if (sender) sender.kick();
  clearTimeout(state.timers.reset);
  state.timers.reset = setTimeout(reset, state.config.timing.thanks_seconds * 1000);
}

function reset() {
  state.lang = state.config.default_language;
  renderTexts();
  show("question");
  setBusy(false);
  activity();
}

// ---------- idle screen ----------

function activity() {
  state.lastActivity = Date.now();
}

function checkIdle() {
  if (!state.config || state.screen !== "question" || state.busy) return;
  if (Date.now() - state.lastActivity >= state.config.timing.idle_seconds * 1000) {
    state.lang = state.config.default_language;
    renderTexts();
    show("idle");
  }
}

function wake() {
  activity();
  if (state.screen === "idle") {
    show("question");
    const first = document.querySelector(".rate");
    if (first) first.focus();
  }
}

// ---------- status, config, heartbeat ----------

async function updateStatus() {
  const queued = await outbox.count().catch(() => 0);
  const online = sender ? sender.online && navigator.onLine : navigator.onLine;
  $("status-dot").className = `dot ${online ? "online" : "offline"}`;
  $("status-text").textContent = `${online ? "online" : "offline"} · ${queued} queued`;
  $("status").dataset.queued = queued;
  $("status").dataset.online = online;
  return queued;
}

function unenrolled() {
  show("unenrolled");
}

async function fetchConfig(token) {
  const headers = { Authorization: `Bearer ${token}` };
  const cached = localStorage.getItem(CONFIG_KEY);
  const etag = localStorage.getItem(ETAG_KEY);
  if (cached && etag) headers["If-None-Match"] = `"${etag}"`;
  try {
    const response = await fetch(`${API}/kiosk/config`, { headers, cache: "no-store" });
    if (response.status === 401) return { unauthorized: true };
    if (response.status === 304 && cached) return { config: JSON.parse(cached), changed: false };
    if (response.ok) {
      const config = await response.json();
      localStorage.setItem(CONFIG_KEY, JSON.stringify(config));
      localStorage.setItem(ETAG_KEY, (response.headers.get("ETag") || "").replaceAll('"', ""));
      return { config, changed: true };
    }
  } catch (error) {
    // offline: fall through to the cached copy
  }
  return cached ? { config: JSON.parse(cached), changed: false, offline: true } : {};
}

async function refreshConfig(token) {
  const result = await fetchConfig(token);
  if (result.unauthorized) return unenrolled();
  if (result.changed && result.config) {
    state.config = result.config;
    if (state.screen === "question" || state.screen === "idle") renderTexts();
  }
}

async function heartbeat(token) {
  const dropped = droppedLog();
  const queue_length = await outbox.count().catch(() => 0);
  const last = dropped.length ? `dropped ${dropped.length}: ${JSON.stringify(dropped).slice(0, 1800)}` : sender.lastError;
  try {
    const response = await fetch(`${API}/devices/heartbeat`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
      body: JSON.stringify({ app_version: APP_VERSION, queue_length, last_error: last || null }),
      cache: "no-store",
    });
    if (response.status === 401) return unenrolled();
    if (response.ok) clearDroppedLog(dropped.length);
  } catch (error) {
    // offline: the next heartbeat carries the same news
  }
}

// ---------- start ----------

async function start() {
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/kiosk/sw.js", { scope: "/kiosk" }).catch((e) => console.warn("sw", e));
  }
  const token = localStorage.getItem(TOKEN_KEY);
  if (!token) return unenrolled();
  const result = await fetchConfig(token);
  if (result.unauthorized) return unenrolled();
  if (!result.config) {
    $("screen-loading").querySelector("p").textContent = "Waiting for the network…";
    setTimeout(start, 5000);
    return;
  }
  state.config = result.config;
  state.lang = state.config.default_language;
  sender = new Sender({
    endpoint: `${API}/responses/batch`,
    token,
    timeoutMs: (state.config.timing.request_timeout_seconds || 15) * 1000,
    onChange: updateStatus,
    onUnauthorized: unenrolled,
  });
  renderTexts();
  show("question");

  $("followup-done").addEventListener("click", () => finishFollowup(true));
  $("followup-skip").addEventListener("click", () => finishFollowup(false));
  $("idle-start").addEventListener("click", wake);
  $("pra-open").addEventListener("click", () => $("pra-dialog").showModal());
  $("pra-close").addEventListener("click", () => $("pra-dialog").close());
  document.addEventListener("keydown", wake);
  document.addEventListener("pointerdown", wake);
  window.addEventListener("online", () => { sender.kick(); updateStatus(); });
  window.addEventListener("offline", updateStatus);

  const timing = state.config.timing;
  setInterval(checkIdle, 1000);
  setInterval(() => sender.kick(), 30000);
  setInterval(() => refreshConfig(token), timing.config_refresh_seconds * 1000);
  setInterval(() => heartbeat(token), timing.heartbeat_seconds * 1000);
  sender.kick();
  heartbeat(token);
  updateStatus();
}

start();
