// The kiosk's delivery status, for staff: a small dot for visitors, and the words (online or
// offline, queued and quarantined taps, in the screen's language) only after a staff member
// holds the top left corner for HOLD_MS.

const HOLD_MS = 2000;
const SHOW_MS = 10000;

export class StaffStatus {
  constructor({ root, dot, words, timers = globalThis }) {
    Object.assign(this, { root, dot, words, timers });
    this.hold = null;
    this.hide = null;
  }

  install() {
    this.root.addEventListener("pointerdown", () => {
      this.timers.clearTimeout(this.hold);
      this.hold = this.timers.setTimeout(() => this.reveal(), HOLD_MS);
    });
    for (const end of ["pointerup", "pointercancel", "pointerleave"]) {
      this.root.addEventListener(end, () => this.timers.clearTimeout(this.hold));
    }
  }

  reveal() {
    this.words.hidden = false;
    this.timers.clearTimeout(this.hide);
    this.hide = this.timers.setTimeout(() => { this.words.hidden = true; }, SHOW_MS);
  }

  /** ``text``: the visitor strings of the screen's language. */
  update({ online, queued, quarantined }, text) {
    this.dot.className = `dot ${online ? "online" : "offline"}`;
    let words = (online ? text.status_online : text.status_offline).replace("{queued}", String(queued));
    if (quarantined) words += ` · ${text.status_quarantined.replace("{count}", String(quarantined))}`;
    this.words.textContent = words;
    this.root.dataset.queued = queued;
    this.root.dataset.online = online;
    this.root.dataset.quarantined = quarantined;
  }
}
