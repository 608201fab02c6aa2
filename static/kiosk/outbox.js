// The outbox: every tap is written here (IndexedDB) before the thank-you shows,
// and leaves only when the server has confirmed it. Survives reloads and power cycles.

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

/** Store a response body; `pending` while its follow-up is still being answered. */
export function put(body, pending = false) {
  return withStore("readwrite", (store) => {
    store.put({ id: body.id, body, pending, created: Date.now() });
  });
}

/** Finish a pending item with its follow-up answer. */
export async function finish(id, patch) {
  return withStore("readwrite", (store) => {
    const request = store.get(id);
    request.onsuccess = () => {
      const item = request.result;
      if (!item) return;
      Object.assign(item.body, patch);
      item.pending = false;
      store.put(item);
    };
  });
}

export function remove(ids) {
  return withStore("readwrite", (store) => {
    for (const id of ids) store.delete(id);
  });
}

/**
 * Items ready to send, oldest first. A pending item older than `staleMs` (the visitor
 * walked away, or the page reloaded mid follow-up) is sent as it is: the rating counts.
 */
export async function ready(limit, staleMs) {
  const items = await withStore("readonly", (store) => all(store));
  const list = await items;
  const now = Date.now();
  return list.filter((item) => !item.pending || now - item.created > staleMs).slice(0, limit);
}

export async function count() {
  const database = await db();
  return new Promise((resolve, reject) => {
    const request = database.transaction(STORE, "readonly").objectStore(STORE).count();
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}
