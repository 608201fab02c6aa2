// The kiosk: one question, one tap, a thank-you, reset. Works offline: taps go to the
// IndexedDB outbox first and a Sender delivers them when the server answers.
// Input: touch, keyboard, a USB button box typing digits (1..N = the scale's ratings), and an
// audio mode for visitors who cannot see the screen. Every screen change arms the input guard
// (guard.js), so a tap or key counts only on the screen the visitor saw when it began.

import { AudioGuide } from "./audio.js";
import { chipButtons, faceButtons, languageButtons } from "./buttons.js";
import { InputGuard } from "./guard.js";
import { TimeLimit } from "./limits.js";
import * as outbox from "./outbox.js";
import { Sender } from "./sender.js";
import { API, fetchConfig, sendHeartbeat, uuid4 } from "./server.js";
import { StaffStatus } from "./status.js";

const TOKEN_KEY = "kiosk.token";
const APP_VERSION = document.querySelector('meta[name="kiosk-app-version"]').content;
const VISITOR_SCREENS = new Set(["question", "followup", "thanks", "idle"]);
const AUDIO_TIME_FACTOR = 3; // a listener needs longer than a reader
const IDLE_WARNING_SECONDS = 10;
const SPOKEN_WARNING_SECONDS = 10; // a listener hears once per period that time runs short
const HELP_KEYS = new Set(["?", "h", "H", "F1", "Help"]);
const ARROWS = { ArrowDown: 1, ArrowRight: 1, ArrowUp: -1, ArrowLeft: -1 };

const $ = (id) => document.getElementById(id);
const state = { config: null, lang: "en", busy: false, screen: "loading", current: null, warnedPeriod: 0 };
const guard = new InputGuard({ onChange: (open) => { $("app").dataset.guard = open ? "off" : "on"; } });
const limit = new TimeLimit({ onTick: showTimeLeft });
const audio = new AudioGuide({
  text,
  lang: () => state.lang,
  screen: () => state.screen,
  onChange: (on) => {
    $("app").classList.toggle("audio-on", on);
    $("audio").setAttribute("aria-pressed", String(on));
  },
});
const status = new StaffStatus({ root: $("status"), dot: $("status-dot"), words: $("status-text") });
let sender = null;

// ---------- screens ----------

/** Every screen change goes through here: a clean screen, the guard armed, its time limit. */
function show(name) {
  for (const section of document.querySelectorAll(".screen")) section.hidden = section.id !== `screen-${name}`;
  state.screen = name;
  $("app").dataset.state = name;
  $("pra").hidden = !(state.config && state.config.pra) || !VISITOR_SCREENS.has(name);
  $("audio").hidden = !VISITOR_SCREENS.has(name) || !audio.speaker.available;
  if ($("pra-dialog").open) $("pra-dialog").close();
  guard.changed();
  startTimeLimit(name);
  if (audio.on) audio.announce();
}

function startTimeLimit(name) {
  const timing = state.config ? state.config.timing : null;
  if (!timing) return limit.stop();
  const factor = audio.on ? AUDIO_TIME_FACTOR : 1;
  if (name === "followup") limit.start(timing.followup_seconds * factor, finishFollowup);
  else if (name === "thanks") limit.start(timing.thanks_seconds, thanksOver, { warnSeconds: 0 });
  else if (name === "question") limit.start(timing.idle_seconds * factor, goIdle, { warnSeconds: IDLE_WARNING_SECONDS });
  else limit.stop();
}

/** The visible (and, in audio mode, spoken) time left before the screen moves on by itself. */
function showTimeLeft(seconds, warn, period) {
  const t = state.config ? text() : null;
  let words = null;
  if (t && warn && state.screen === "followup") words = t.time_left;
  // The idle reset only costs the visitor something once they chose a language, audio or the notice.
  if (t && warn && state.screen === "question" && personalised()) words = t.idle_warning;
  const timer = $("timer");
  timer.hidden = !words;
  if (!words) return;
  timer.textContent = words.replace("{seconds}", String(seconds));
  if (audio.on && seconds <= SPOKEN_WARNING_SECONDS && state.warnedPeriod !== period) {
    state.warnedPeriod = period;
    audio.say([t.audio_time_warning.replace("{seconds}", String(seconds))]);
  }
}

function personalised() {
  return state.lang !== state.config.default_language || audio.on || $("pra-dialog").open;
}

function text() {
  return state.config.text[state.lang] || state.config.text[state.config.default_language];
}

function renderLanguages() {
  $("langs").setAttribute("aria-label", text().language);
  $("langs").replaceChildren(...languageButtons(state.config, state.lang, setLanguage));
}

function renderScale() {
  const { points } = state.config.survey;
  $("scale").dataset.points = points;
  $("scale").replaceChildren(...faceButtons(points, text().labels, tap));
}

function renderTexts() {
  const t = text();
  document.documentElement.lang = t.html_lang || state.lang;
  document.documentElement.dir = t.dir || "ltr";
  $("question").textContent = t.question;
  $("followup-hint").textContent = t.followup_hint;
  $("followup-done").textContent = t.done;
  $("followup-skip").textContent = t.skip;
  $("thanks-title").textContent = t.thanks;
  $("thanks-detail").textContent = t.thanks_detail;
  $("idle-title").textContent = t.question || t.idle_title;
  $("idle-cta").textContent = t.idle_cta;
  $("audio-label").textContent = t.audio;
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
  if (state.screen === "followup" && state.current) renderChips(state.current.rating);
  updateStatus();
}

function setLanguage(lang) {
  state.lang = lang;
  renderTexts();
  limit.extend();
  if (audio.on) audio.announce();
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
  const chosen = new Set(state.current ? state.current.chosen : []);
  const chips = chipButtons(state.config.survey.followup, t.choices[side], chosen, (key, on, chip) => {
    if (on) state.current.chosen.push(key);
    else state.current.chosen = state.current.chosen.filter((c) => c !== key);
    audio.describe(chip);
  });
  $("chips").replaceChildren(...chips);
}

async function tap(rating, event) {
  if (state.busy || !state.config) return;
  setBusy(true);
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
    // A listener starts from the first chip with the arrows; others find Done ready to press.
    if (audio.on) document.activeElement.blur();
    else $("followup-done").focus();
  } else {
    thankYou();
  }
}

/** Done, Skip and the time limit all end the follow-up the same way: what was chosen is kept. */
async function finishFollowup() {
  if (state.screen !== "followup" || !state.current) return;
  const { id, chosen } = state.current;
  state.current = null;
  await outbox.finish(id, { followup_chosen: [...chosen] });
  thankYou();
}

function thankYou() {
  show("thanks");
  performance.mark("kiosk-thanks");
  requestAnimationFrame(() => performance.mark("kiosk-thanks-frame"));
  updateStatus();
  if (sender) sender.kick();
}

async function thanksOver() {
  if (audio.on) await audio.finished; // a listener hears the thank-you to its end
  if (state.screen === "thanks") reset();
}

/** The next visitor's kiosk: default language, audio off, no dialog, a fresh question. */
function reset() {
  state.lang = state.config.default_language;
  state.current = null;
  audio.stop();
  renderTexts();
  show("question");
  setBusy(false);
}

function goIdle() {
  state.lang = state.config.default_language;
  audio.stop();
  renderTexts();
  show("idle");
}

/** The idle screen's touch (or key) only wakes the kiosk: the guard drops the click it makes. */
function wake() {
  if (state.screen !== "idle") return;
  show("question");
  const first = document.querySelector(".rate");
  if (first) first.focus();
}

// ---------- keys: keyboards, button boxes, audio keypads ----------

/** The answers the arrow keys move through on the current screen, in reading order. */
function answers() {
  if (state.screen === "question") return [...document.querySelectorAll(".rate"), ...document.querySelectorAll(".lang")];
  if (state.screen === "followup") return [...document.querySelectorAll(".chip, #screen-followup .action")];
  return [];
}

function move(step) {
  const list = answers();
  if (!list.length) return;
  const at = list.indexOf(document.activeElement);
  const next = list[at < 0 ? (step > 0 ? 0 : list.length - 1) : (at + step + list.length) % list.length];
  next.focus();
  audio.describe(next);
}

function onKey(event) {
  if (!state.config || !VISITOR_SCREENS.has(state.screen) || $("pra-dialog").open) return;
  const { key } = event;
  if (HELP_KEYS.has(key)) {
    event.preventDefault();
    if (event.repeat) return;
    if (state.screen === "idle") show("question");
    if (audio.on) audio.announce();
    else audio.start();
    startTimeLimit(state.screen); // audio mode's longer times
    return;
  }
  const digit = /^[1-9]$/.test(key) ? Number(key) : null;
  if (digit !== null) {
    // A button box's key means one rating whatever the screen shows, so it answers the idle
    // screen too; the guard still drops a bounce or a second press right after a change.
    event.preventDefault();
    const asking = state.screen === "question" || state.screen === "idle";
    if (asking && !event.repeat && guard.accepts(event.timeStamp) && digit <= state.config.survey.points) tap(digit, event);
    return;
  }
  if (state.screen === "idle") {
    event.preventDefault(); // any other key only wakes
    if (!event.repeat) wake();
    return;
  }
  if (key in ARROWS) {
    event.preventDefault();
    move(ARROWS[key]);
  }
}

// ---------- status, config, heartbeat ----------

async function updateStatus() {
  const counts = await outbox.stats().catch(() => ({ queued: 0, quarantined: [] }));
  const online = sender ? sender.online && navigator.onLine : navigator.onLine;
  if (state.config) status.update({ online, queued: counts.queued, quarantined: counts.quarantined.length }, text());
  return counts;
}

function unenrolled() {
  audio.stop();
  show("unenrolled");
}

async function refreshConfig(token) {
  const result = await fetchConfig(token);
  if (result.unauthorized) return unenrolled();
  if (result.changed && result.config) {
    state.config = result.config;
    if (state.screen === "question" || state.screen === "idle") {
      renderTexts();
      guard.changed(); // new faces under the visitor's finger are a new screen
    }
  }
}

async function heartbeat(token) {
  const result = await sendHeartbeat(token, { appVersion: APP_VERSION, lastError: sender.lastError });
  if (result.unauthorized) unenrolled();
}

// ---------- start ----------

function waitingForNetwork() {
  for (const line of $("screen-loading").querySelectorAll("[data-waiting]")) line.textContent = line.dataset.waiting;
}

async function start() {
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/kiosk/sw.js", { scope: "/kiosk" }).catch((e) => console.warn("sw", e));
  }
  const token = localStorage.getItem(TOKEN_KEY);
  if (!token) return unenrolled();
  const result = await fetchConfig(token);
  if (result.unauthorized) return unenrolled();
  if (!result.config) {
    waitingForNetwork();
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

  guard.install(window);
  status.install();
  $("followup-done").addEventListener("click", finishFollowup);
  $("followup-skip").addEventListener("click", finishFollowup);
  $("idle-start").addEventListener("click", wake);
  $("audio").addEventListener("click", () => {
    if (audio.on) audio.stop();
    else audio.start();
    startTimeLimit(state.screen);
  });
  $("pra-open").addEventListener("click", () => { $("pra-dialog").showModal(); guard.changed(); });
  $("pra-close").addEventListener("click", () => $("pra-dialog").close());
  $("pra-dialog").addEventListener("close", () => guard.changed()); // what was under it shows again
  // Any touch or key gives the visitor the full time again; on the idle screen it wakes the kiosk.
  document.addEventListener("pointerdown", () => { limit.extend(); wake(); }, true);
  document.addEventListener("keydown", () => limit.extend(), true);
  document.addEventListener("keydown", onKey);
  window.addEventListener("online", () => { sender.kick(); updateStatus(); });
  window.addEventListener("offline", updateStatus);

  const timing = state.config.timing;
  setInterval(() => sender.kick(), 30000);
  setInterval(() => refreshConfig(token), timing.config_refresh_seconds * 1000);
  setInterval(() => heartbeat(token), timing.heartbeat_seconds * 1000);
  sender.kick();
  heartbeat(token);
  updateStatus();
}

start();
