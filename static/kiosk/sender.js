// Sends the outbox to the server in batches, with exponential backoff and jitter.
// An item leaves the outbox only when the server confirmed it (201, or 200 for a replay).
// An item the server refuses (4xx) is logged for the heartbeat and dropped, not retried forever.

import * as outbox from "./outbox.js";

const BATCH = 500;
const BASE_DELAY_MS = 1000;
const MAX_DELAY_MS = 5 * 60 * 1000;
const STALE_PENDING_MS = 30000;
const DROPPED_KEY = "kiosk.dropped";

export function backoffDelay(failures, random = Math.random) {
  const ceiling = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** Math.min(failures, 20));
  return Math.round(ceiling * (0.5 + random() / 2)); // "equal jitter": spread retries of many kiosks
}

export function droppedLog() {
  try { return JSON.parse(localStorage.getItem(DROPPED_KEY) || "[]"); } catch { return []; }
}

export function clearDroppedLog(count) {
  localStorage.setItem(DROPPED_KEY, JSON.stringify(droppedLog().slice(count)));
}

function logDropped(id, status, errors) {
  const log = droppedLog();
  log.push({ id, status, errors: JSON.stringify(errors || {}).slice(0, 500), at: new Date().toISOString() });
  localStorage.setItem(DROPPED_KEY, JSON.stringify(log.slice(-50)));
}

// Indexes of refused items in a batch problem: {"3": {...}} or {"responses": {"3": {...}}}.
function refusedIndexes(problem, size) {
  const errors = (problem && problem.errors) || {};
  const byIndex = errors.responses && typeof errors.responses === "object" ? errors.responses : errors;
  return Object.keys(byIndex).map(Number).filter((i) => Number.isInteger(i) && i >= 0 && i < size);
}

export class Sender {
  constructor({ endpoint, token, timeoutMs = 15000, onChange, onUnauthorized }) {
    this.timeoutMs = timeoutMs;
    this.endpoint = endpoint;
    this.token = token;
    this.onChange = onChange || (() => {});
    this.onUnauthorized = onUnauthorized || (() => {});
    this.failures = 0;
    this.batchSize = BATCH;
    this.sending = false;
    this.timer = null;
    this.online = navigator.onLine;
    this.lastError = null;
  }

  /** Send soon (after a tap, on reconnect); a scheduled backoff retry is replaced. */
  kick() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flush(), 0);
  }

  schedule(ms) {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flush(), ms);
  }

  async post(items) {
    const controller = new AbortController();
    const timeout = setTimeout(() => controller.abort(), this.timeoutMs);
    try {
      return await fetch(this.endpoint, {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${this.token}` },
        body: JSON.stringify({ responses: items.map((item) => item.body) }),
        signal: controller.signal,
        cache: "no-store",
      });
    } finally {
      clearTimeout(timeout);
    }
  }

  async flush() {
    if (this.sending) return;
    this.sending = true;
    try {
      for (;;) {
        const items = await outbox.ready(this.batchSize, STALE_PENDING_MS);
        if (!items.length) break;
        let response;
        try {
          response = await this.post(items);
        } catch (error) {
          this.fail(`network: ${error.name}`);
          return;
        }
        if (response.ok) {
          await outbox.remove(items.map((item) => item.id));
          this.succeed();
          continue;
        }
        if (response.status === 401) {
          this.online = true;
          this.onUnauthorized();
          return;
        }
        if (response.status === 413 && this.batchSize > 1) {
          this.batchSize = Math.max(1, Math.floor(this.batchSize / 2));
          continue;
        }
        if (response.status >= 400 && response.status < 500) {
          const problem = await response.json().catch(() => null);
          const refused = refusedIndexes(problem, items.length);
          if (refused.length) {
            for (const i of refused) logDropped(items[i].id, response.status, problem.errors);
            await outbox.remove(refused.map((i) => items[i].id));
          } else if (items.length === 1) {
            logDropped(items[0].id, response.status, problem && problem.errors);
            await outbox.remove([items[0].id]);
          } else {
            this.batchSize = 1; // find the refused item one by one
          }
          this.lastError = `HTTP ${response.status}`;
          continue;
        }
        this.fail(`HTTP ${response.status}`);
        return;
      }
      this.batchSize = BATCH;
    } finally {
      this.sending = false;
      this.onChange();
    }
  }

  succeed() {
    this.failures = 0;
    this.online = true;
    this.onChange();
  }

  fail(reason) {
    this.failures += 1;
    this.online = false;
    this.lastError = reason;
    this.schedule(backoffDelay(this.failures));
  }
}
