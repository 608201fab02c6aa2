// What the kiosk asks the server besides sending taps: its configuration (cached for offline
// use, refreshed with its ETag) and the heartbeat (app version, queue, quarantine, last error);
// and the ids it makes for each tap.

import * as outbox from "./outbox.js";
import { clearDroppedLog, droppedLog } from "./sender.js";

export const API = "/api/v1";
const CONFIG_KEY = "kiosk.config";
const ETAG_KEY = "kiosk.etag";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function uuid4() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16)); // plain-http kiosks have no randomUUID
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** {config, changed} from the server or, offline, the cached copy; {unauthorized} after a 401. */
export async function fetchConfig(token) {
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

/** Report to the server; {unauthorized: true} when the device token was revoked. */
export async function sendHeartbeat(token, { appVersion, lastError }) {
  const dropped = droppedLog();
  const counts = await outbox.stats().catch(() => ({ queued: 0, quarantined: [] }));
  const last = dropped.length ? `dropped ${dropped.length}: ${JSON.stringify(dropped).slice(0, 1800)}` : lastError;
  try {
    const response = await fetch(`${API}/devices/heartbeat`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
      body: JSON.stringify({
        app_version: appVersion,
        queue_length: counts.queued,
        last_error: last || null,
        quarantined: counts.quarantined.length,
        // Only well-formed ids: a malformed one would make every heartbeat a 422.
        quarantined_ids: counts.quarantined.filter((id) => UUID.test(id)).slice(0, 20),
      }),
      cache: "no-store",
    });
    if (response.status === 401) return { unauthorized: true };
    if (response.ok) clearDroppedLog(dropped.length);
  } catch (error) {
    // offline: the next heartbeat carries the same news
  }
  return {};
}
