// The outbox: every tap is written here (IndexedDB) before the thank-you shows,
// and leaves only when the server has confirmed it. Survives reloads and power cycles.
// An item that alone keeps failing is quarantined: kept here, out of the send queue
// (retried once a quarantine period has passed), and reported with the heartbeat.

const DB_NAME = "counter-feedback-kiosk";
const STORE = "outbox";
let opening = null;

function db() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = () => {
        const store = request.result.createObjectStore(STORE, { keyPath: "id" });
        store.createIndex("created", "created");
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }
  return opening;
}

// Run fn(store) in one transaction; resolves with fn's result once the transaction commits.
async function withStore(mode, fn) {
  const database = await db();
  return new Promise((resolve, reject) => {
    const tx = database.transaction(STORE, mode);
    let result;
    tx.oncomplete = () => resolve(result);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
    result = fn(tx.objectStore(STORE));
  });
}

function all(store) {
  return new Promise((resolve, reject) => {
    const request = store.index("created").getAll();
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

// Change one stored item in place (nothing if it is gone).
function patch(id, change) {
  return withStore("readwrite", (store) => {
    const request = store.get(id);
    request.onsuccess = () => {
      const item = request.result;
      if (!item) return;
      change(item);
      store.put(item);
    };
  });
}

/**
 * The items to send now, oldest first, at most ``limit``: not in quarantine (or quarantined
 * until before ``now``), and not pending unless older than ``staleMs`` (the visitor walked
 * away, or the page reloaded mid follow-up: the rating counts as it is).
 */
export function sendable(items, limit, staleMs, now) {
  return items
    .filter((item) => !item.quarantine || item.quarantine.until <= now)
    .filter((item) => !item.pending || now - item.created > staleMs)
    .slice(0, limit);
}

/** What the heartbeat reports: items waiting to be sent, and those in quarantine. */
export function summary(items) {
  const quarantined = items.filter((item) => item.quarantine);
  return { queued: items.length - quarantined.length, quarantined: quarantined.map((item) => item.id) };
}

/** Store a response body; `pending` while its follow-up is still being answered. */
export function put(body, pending = false) {
  return withStore("readwrite", (store) => {
    store.put({ id: body.id, body, pending, created: Date.now() });
  });
}

/** Finish a pending item with its follow-up answer. */
export function finish(id, change) {
  return patch(id, (item) => {
    Object.assign(item.body, change);
    item.pending = false;
  });
}

/** Take an item out of the send queue until ``info.until`` (a time in ms), keeping it. */
export function quarantine(id, info) {
  return patch(id, (item) => {
    item.quarantine = info;
  });
}

export function remove(ids) {
  return withStore("readwrite", (store) => {
    for (const id of ids) store.delete(id);
  });
}

export async function ready(limit, staleMs) {
  return sendable(await withStore("readonly", all), limit, staleMs, Date.now());
}

export async function stats() {
  return summary(await withStore("readonly", all));
}

export async function count() {
  return (await stats()).queued;
}
