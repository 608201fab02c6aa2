// The kiosk's sender (static/kiosk/sender.js) against a scripted server, with node's test
// runner: `node --test tests/kiosk/` (make test-js). Time is a fake clock; the outbox is the
// real selection rule (outbox.sendable) over an in-memory list.

import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { sendable, summary } from "../../static/kiosk/outbox.js";
import { POISON_FAILURES, QUARANTINE_MS, Sender, backoffDelay, droppedLog } from "../../static/kiosk/sender.js";

/** Timers on a fake clock; run() fires them in time order, awaiting what they return. */
function fakeTimers() {
  let seq = 0;
  const pending = new Map();
  const clock = {
    now: 0,
    scheduled: [], // delays asked for by the sender's retries (ms)
    setTimeout(fn, ms = 0) {
      seq += 1;
      pending.set(seq, { fn, at: clock.now + ms, seq });
      return seq;
    },
    clearTimeout(id) {
      pending.delete(id);
    },
    /** Fire the earliest timer; false if none is pending. */
    async step() {
      if (!pending.size) return false;
      const next = [...pending.values()].sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      pending.delete(next.seq);
      clock.now = Math.max(clock.now, next.at);
      await next.fn();
      return true;
    },
    /** Fire timers until none is left (the sender is idle). */
    async run(limit = 5000) {
      for (let step = 0; step < limit; step += 1) {
        if (!(await clock.step())) return;
      }
      throw new Error("timers still pending after the step limit");
    },
  };
  return clock;
}

function memoryOutbox(clock, bodies) {
  const items = bodies.map((body, i) => ({ id: body.id, body, pending: false, created: i }));
  return {
    items,
    async ready(limit, staleMs) {
      return sendable(items, limit, staleMs, clock.now);
    },
    async remove(ids) {
      for (const id of ids) {
        const at = items.findIndex((item) => item.id === id);
        if (at >= 0) items.splice(at, 1);
      }
    },
    async quarantine(id, info) {
      const item = items.find((entry) => entry.id === id);
      if (item) item.quarantine = info;
    },
    stats: async () => summary(items),
  };
}

function memoryStorage() {
  const values = new Map();
  return { getItem: (k) => (values.has(k) ? values.get(k) : null), setItem: (k, v) => values.set(k, String(v)) };
}

function bodies(n) {
  return Array.from({ length: n }, (_, i) => ({ id: `id-${String(i).padStart(3, "0")}`, rating: 5 }));
}

function answer(status, body = {}, headers = {}) {
  return { ok: status >= 200 && status < 300, status, json: async () => body, headers: { get: (k) => headers[k] ?? null } };
}

/**
 * A kiosk with ``n`` queued taps and a server whose answer to each batch is ``serve(ids)``
 * (a status, a [status, body, headers] triple, or "drop" for a broken connection).
 */
function kiosk(n, serve, options = {}) {
  const clock = fakeTimers();
  const outbox = memoryOutbox(clock, bodies(n));
  const delivered = [];
  const requests = [];
  const fetch = async (url, init) => {
    if (url === "/livez") {
      if (options.reachable === false) throw new TypeError("Failed to fetch");
      return answer(200);
    }
    const ids = JSON.parse(init.body).responses.map((body) => body.id);
    requests.push({ ids, at: clock.now });
    const result = serve(ids, requests.length);
    if (result === "drop") throw new TypeError("Failed to fetch");
    const [status, body, headers] = Array.isArray(result) ? result : [result];
    if (status >= 200 && status < 300) delivered.push(...ids);
    return answer(status, body, headers);
  };
  const events = { unauthorized: 0 };
  const sender = new Sender({
    endpoint: "/api/v1/responses/batch",
    token: "t",
    fetch,
    outbox,
    timers: clock,
    now: () => clock.now,
    random: () => 0.5,
    isOnline: () => options.online !== false,
    storage: memoryStorage(),
    onUnauthorized: () => { events.unauthorized += 1; },
  });
  const schedule = sender.schedule.bind(sender);
  sender.schedule = (ms) => { clock.scheduled.push(ms); schedule(ms); };
  return { clock, outbox, sender, delivered, requests, events };
}

describe("backoff", () => {
  it("doubles per failure with equal jitter, up to five minutes", () => {
    assert.equal(backoffDelay(0, () => 0), 500);
    assert.equal(backoffDelay(0, () => 1), 1000);
    assert.equal(backoffDelay(3, () => 0), 4000);
    assert.equal(backoffDelay(3, () => 1), 8000);
    assert.equal(backoffDelay(30, () => 1), 300000);
    assert.equal(backoffDelay(30, () => 0), 150000);
  });

  it("grows while the kiosk is offline, and nothing is split, dropped or quarantined", async () => {
    const k = kiosk(20, () => "drop", { online: false });
    k.sender.kick();
    while (k.clock.scheduled.length < 12) assert.ok(await k.clock.step());
    const retries = k.clock.scheduled.slice(1);
    for (let i = 1; i < retries.length; i += 1) assert.ok(retries[i] >= retries[i - 1], `${retries}`);
    assert.equal(Math.max(...retries), 5 * 60 * 1000 * 0.75);
    assert.deepEqual((await k.outbox.stats()).quarantined, []);
    assert.equal(k.outbox.items.length, 20);
    assert.ok(k.requests.every((r) => r.ids.length === 20), "never split while offline");
  });

  it("does not blame a batch when the server cannot be reached at all", async () => {
    const k = kiosk(3, () => "drop", { reachable: false });
    k.sender.kick();
    while (k.requests.length < POISON_FAILURES * 3) assert.ok(await k.clock.step());
    assert.deepEqual((await k.outbox.stats()).quarantined, []);
    assert.ok(k.requests.every((r) => r.ids.length === 3));
  });
});

describe("delivery", () => {
  it("removes a batch the server confirmed, in one request", async () => {
    const k = kiosk(3, () => 201);
    k.sender.kick();
    await k.clock.run();
    assert.deepEqual(k.delivered, ["id-000", "id-001", "id-002"]);
    assert.equal(k.outbox.items.length, 0);
    assert.equal(k.requests.length, 1);
  });

  it("halves the batch on 413 until the server takes it", async () => {
    const k = kiosk(10, (ids) => (ids.length > 3 ? 413 : 201));
    k.sender.kick();
    await k.clock.run();
    assert.deepEqual(k.requests.map((r) => r.ids.length), [10, 5, 2, 2, 2, 2, 2]);
    assert.equal(k.delivered.length, 10);
    assert.equal(k.sender.batchSize, 500, "full batches again once the outbox is empty");
  });

  it("drops the items a 422 names by index, logs them, and delivers the rest", async () => {
    const k = kiosk(5, (ids) => {
      const bad = ids.indexOf("id-002");
      return bad >= 0 ? [422, { status: 422, errors: { [bad]: { rating: ["Must be between 1 and 5."] } } }] : 201;
    });
    k.sender.kick();
    await k.clock.run();
    assert.deepEqual(k.delivered, ["id-000", "id-001", "id-003", "id-004"]);
    assert.equal(k.outbox.items.length, 0);
    const log = droppedLog(k.sender.storage);
    assert.deepEqual(log.map((entry) => [entry.id, entry.status]), [["id-002", 422]]);
  });

  it("finds a refused item one by one when the problem does not say which", async () => {
    const k = kiosk(4, (ids) => (ids.includes("id-001") ? 409 : 201));
    k.sender.kick();
    await k.clock.run();
    assert.deepEqual(k.delivered, ["id-000", "id-002", "id-003"]);
    assert.deepEqual(droppedLog(k.sender.storage).map((e) => e.id), ["id-001"]);
  });

  it("treats 429 as later, not as a refusal", async () => {
    const k = kiosk(2, (_ids, n) => (n <= 2 ? [429, {}, { "Retry-After": "20" }] : 201));
    k.sender.kick();
    await k.clock.run();
    assert.equal(k.delivered.length, 2);
    assert.deepEqual(droppedLog(k.sender.storage), []);
    assert.ok(k.requests[1].at - k.requests[0].at >= 20000, "Retry-After is honoured");
  });

  it("stops on 401 and keeps every item", async () => {
    const k = kiosk(2, () => 401);
    k.sender.kick();
    await k.clock.run();
    assert.equal(k.events.unauthorized, 1);
    assert.equal(k.outbox.items.length, 2);
  });
});

describe("a poison item", () => {
  const poisoned = (status) => (ids) => (ids.includes("id-005") ? status : 201);

  for (const [name, status] of [["a 500", 500], ["a broken connection", "drop"]]) {
    it(`answered with ${name} is split out and quarantined; every tap behind it is delivered`, async () => {
      const k = kiosk(12, poisoned(status));
      k.sender.kick();
      await k.clock.run();
      const others = bodies(12).map((b) => b.id).filter((id) => id !== "id-005");
      assert.deepEqual([...k.delivered].sort(), others);
      assert.deepEqual(await k.outbox.stats(), { queued: 0, quarantined: ["id-005"] });
      const alone = k.requests.filter((r) => r.ids.length === 1 && r.ids[0] === "id-005");
      assert.equal(alone.length, POISON_FAILURES, "quarantined after N failures on its own");
      assert.ok(k.clock.now < 5 * 60 * 1000, `isolated in ${k.clock.now} ms of retries`);
      assert.match(k.outbox.items[0].quarantine.reason, /HTTP 500|network/);
    });
  }

  it("is tried again once the quarantine period has passed", async () => {
    let fixed = false;
    const k = kiosk(3, (ids) => (ids.includes("id-001") && !fixed ? 500 : 201));
    k.sender.kick();
    await k.clock.run();
    assert.deepEqual((await k.outbox.stats()).quarantined, ["id-001"]);
    fixed = true;
    k.sender.kick();
    await k.clock.run();
    assert.deepEqual((await k.outbox.stats()).quarantined, ["id-001"], "still in quarantine");
    k.clock.now += QUARANTINE_MS;
    k.sender.kick();
    await k.clock.run();
    assert.deepEqual(await k.outbox.stats(), { queued: 0, quarantined: [] });
    assert.ok(k.delivered.includes("id-001"));
  });

  it("is never assumed during an outage: 503 waits as long as Retry-After says", async () => {
    const k = kiosk(4, (_ids, n) => (n <= 8 ? [503, {}, { "Retry-After": "30" }] : 201));
    k.sender.kick();
    await k.clock.run();
    assert.equal(k.delivered.length, 4);
    assert.deepEqual((await k.outbox.stats()).quarantined, []);
    assert.ok(k.requests.every((r) => r.ids.length === 4), "an outage never splits batches");
    for (let i = 1; i < 9; i += 1) assert.ok(k.requests[i].at - k.requests[i - 1].at >= 30000);
  });
});

describe("the outbox's selection", () => {
  it("holds back a follow-up still being answered, then sends it as it is", () => {
    const items = [
      { id: "a", pending: true, created: 0 },
      { id: "b", pending: false, created: 1 },
      { id: "c", quarantine: { until: 100 }, created: 2 },
    ];
    assert.deepEqual(sendable(items, 10, 30000, 50).map((i) => i.id), ["b"]);
    assert.deepEqual(sendable(items, 10, 30000, 30001).map((i) => i.id), ["a", "b", "c"]);
    assert.deepEqual(sendable(items, 1, 30000, 30001).map((i) => i.id), ["a"]);
    assert.deepEqual(summary(items), { queued: 2, quarantined: ["c"] });
  });
});
