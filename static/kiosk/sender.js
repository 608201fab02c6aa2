// Sends the outbox to the server in batches, with exponential backoff and jitter.
// An item leaves the outbox only when the server confirmed it (201, or 200 for a replay).
// An item the server refuses (4xx) is logged for the heartbeat and dropped, not retried forever.
// No single item can block the rest, whatever the server answers: a batch that fails
// POISON_FAILURES times in a row while the server is reachable (a 5xx other than an outage's
// 502/503/504, or a dropped connection) is split in halves, and an item that fails that often
// alone is quarantined (kept, out of the queue, reported), so every tap behind it is delivered.
// Everything the sender touches (fetch, outbox, timers, storage) can be injected, for tests.

import * as idbOutbox from "./outbox.js";

const BATCH = 500;
const BASE_DELAY_MS = 1000;
const MAX_DELAY_MS = 5 * 60 * 1000;
const STALE_PENDING_MS = 30000;
const DROPPED_KEY = "kiosk.dropped";
export const POISON_FAILURES = 3;
export const QUARANTINE_MS = 24 * 60 * 60 * 1000; // then the item is tried once more
const OUTAGE = new Set([502, 503, 504]); // the whole service is down: no batch is to blame
const TEMPORARY = new Set([408, 425, 429]); // 4xx that mean "later", not "never"

export function backoffDelay(failures, random = Math.random) {
  const ceiling = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** Math.min(failures, 20));
  return Math.round(ceiling * (0.5 + random() / 2)); // "equal jitter": spread retries of many kiosks
}

/** Seconds of a Retry-After header, in ms (0 if absent or a date we do not parse). */
function retryAfterMs(response) {
  const value = Number(response.headers && response.headers.get && response.headers.get("Retry-After"));
  return Number.isFinite(value) && value > 0 ? Math.min(value * 1000, MAX_DELAY_MS) : 0;
}

export function droppedLog(store = globalThis.localStorage) {
  try { return JSON.parse(store.getItem(DROPPED_KEY) || "[]"); } catch { return []; }
}

export function clearDroppedLog(count, store = globalThis.localStorage) {
  store.setItem(DROPPED_KEY, JSON.stringify(droppedLog(store).slice(count)));
}

function logDropped(store, id, status, errors) {
  const log = droppedLog(store);
  log.push({ id, status, errors: JSON.stringify(errors || {}).slice(0, 500), at: new Date().toISOString() });
  store.setItem(DROPPED_KEY, JSON.stringify(log.slice(-50)));
}

// Indexes of refused items in a batch problem: {"3": {...}} or {"responses": {"3": {...}}}.
function refusedIndexes(problem, size) {
  const errors = (problem && problem.errors) || {};
  const byIndex = errors.responses && typeof errors.responses === "object" ? errors.responses : errors;
  return Object.keys(byIndex).map(Number).filter((i) => Number.isInteger(i) && i >= 0 && i < size);
}

// Whether the server answers at all (any status, even 404 or 503): tells a connection that broke
// on this batch from no network. /livez is the liveness check (the process answers).
function healthProbe(fetchFn) {
  return () => fetchFn("/livez", { cache: "no-store" }).then(() => true, () => false);
}

export class Sender {
  constructor({
    endpoint,
    token,
    timeoutMs = 15000,
    onChange,
    onUnauthorized,
    fetch: fetchFn = (...args) => globalThis.fetch(...args),
    outbox = idbOutbox,
    timers = globalThis,
    now = () => Date.now(),
    random = Math.random,
    isOnline = () => !globalThis.navigator || globalThis.navigator.onLine,
    probe,
    storage = globalThis.localStorage,
  }) {
    Object.assign(this, { endpoint, token, timeoutMs, outbox, timers, now, random, isOnline, storage });
    this.fetch = fetchFn;
    this.probe = probe || healthProbe(fetchFn);
    this.onChange = onChange || (() => {});
    this.onUnauthorized = onUnauthorized || (() => {});
    this.failures = 0;
    this.streak = { key: null, count: 0 }; // consecutive blamed failures of one batch
    this.batchSize = BATCH;
    this.sending = false;
    this.timer = null;
    this.online = isOnline();
    this.lastError = null;
  }

  /** Send soon (after a tap, on reconnect); a scheduled backoff retry is replaced. */
  kick() {
    this.schedule(0);
  }

  schedule(ms) {
    this.timers.clearTimeout(this.timer);
    this.timer = this.timers.setTimeout(() => this.flush(), ms);
  }

  async post(items) {
    const controller = new AbortController();
    const timeout = this.timers.setTimeout(() => controller.abort(), this.timeoutMs);
    try {
      return await this.fetch(this.endpoint, {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${this.token}` },
        body: JSON.stringify({ responses: items.map((item) => item.body) }),
        signal: controller.signal,
        cache: "no-store",
      });
    } finally {
      this.timers.clearTimeout(timeout);
    }
  }

  async flush() {
    if (this.sending) return;
    this.sending = true;
    try {
      for (;;) {
        const items = await this.outbox.ready(this.batchSize, STALE_PENDING_MS);
        if (!items.length) break;
        let response;
        try {
          response = await this.post(items);
        } catch (error) {
          // Offline, the batch is not to blame; reachable, the connection broke on this batch.
          const blamed = this.isOnline() && (await this.probe());
          await this.fail(items, `network: ${error.name}`, { blamed });
          return;
        }
        if (response.ok) {
          await this.outbox.remove(items.map((item) => item.id));
          this.succeed();
          continue;
        }
        if (response.status === 401) {
          this.online = true;
          this.onUnauthorized();
          return;
        }
        if (response.status === 413 && items.length > 1) {
          this.batchSize = Math.max(1, Math.floor(items.length / 2));
          continue;
        }
        if (response.status >= 400 && response.status < 500 && !TEMPORARY.has(response.status)) {
          await this.refused(items, response);
          continue;
        }
        const blamed = response.status >= 500 && !OUTAGE.has(response.status);
        await this.fail(items, `HTTP ${response.status}`, { blamed, wait: retryAfterMs(response) });
        return;
      }
      this.batchSize = BATCH;
    } finally {
      this.sending = false;
      this.onChange();
    }
  }

  /** A 4xx: the refused items are logged and dropped; the rest go again. */
  async refused(items, response) {
    const problem = await response.json().catch(() => null);
    const refused = refusedIndexes(problem, items.length);
    if (refused.length) {
      for (const i of refused) logDropped(this.storage, items[i].id, response.status, problem.errors);
      await this.outbox.remove(refused.map((i) => items[i].id));
    } else if (items.length === 1) {
      logDropped(this.storage, items[0].id, response.status, problem && problem.errors);
      await this.outbox.remove([items[0].id]);
    } else {
      this.batchSize = 1; // find the refused item one by one
    }
    this.lastError = `HTTP ${response.status}`;
  }

  succeed() {
    this.failures = 0;
    this.streak = { key: null, count: 0 };
    this.online = true;
    this.onChange();
  }

  /**
   * A failed attempt. ``blamed``: the server answered (or was reachable), so this batch may
   * hold a poison item: after POISON_FAILURES in a row it is split, or its one item quarantined.
   */
  async fail(items, reason, { blamed = false, wait = 0 } = {}) {
    this.failures += 1;
    this.online = false;
    this.lastError = reason;
    if (!blamed) {
      this.streak = { key: null, count: 0 };
      this.schedule(Math.max(wait, backoffDelay(this.failures, this.random)));
      return;
    }
    const key = items.map((item) => item.id).join(",");
    this.streak = this.streak.key === key ? { key, count: this.streak.count + 1 } : { key, count: 1 };
    if (this.streak.count < POISON_FAILURES) {
      // The server answers: retry this batch soon, whatever the failures before it.
      this.schedule(Math.max(wait, backoffDelay(this.streak.count, this.random)));
      return;
    }
    this.streak = { key: null, count: 0 };
    if (items.length > 1) {
      this.batchSize = Math.ceil(items.length / 2);
    } else {
      await this.outbox.quarantine(items[0].id, { reason, at: this.now(), until: this.now() + QUARANTINE_MS });
      this.batchSize = BATCH; // the poison is out: the rest can go in full batches again
    }
    this.schedule(0);
  }
}
