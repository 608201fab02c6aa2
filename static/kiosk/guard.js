// The screen-change guard: a tap or key counts only on the screen the visitor saw when it began.
//
// After every screen change (a new screen, the paperwork dialog opening or closing), input that
// began before the change, or within GUARD_MS after it, is ignored. That one rule makes a double
// tap on a face unable to tick the chip that appears beneath it, lets the touch that wakes the
// idle screen end there, and keeps a held key or a bouncing button from answering twice.
// A gesture begins at its pointerdown or keydown; the click it produces is judged by that time.

export const GUARD_MS = 400;
const CLICK_AFTER_RELEASE_MS = 1000; // a click belongs to the gesture released just before it

export class InputGuard {
  constructor({ now = () => performance.now(), guardMs = GUARD_MS, onChange = () => {}, timers = globalThis } = {}) {
    this.now = now;
    this.guardMs = guardMs;
    this.onChange = onChange; // (open: boolean) for the page's data-guard attribute
    this.timers = timers;
    this.shownAt = -Infinity;
    this.pointer = null; // {start, end} of the last pointer gesture
    this.key = null; // {start, end} of the last key press
    this.timer = null;
  }

  /** The screen changed: input from now until GUARD_MS later is not the visitor's answer to it. */
  changed() {
    this.shownAt = this.now();
    this.onChange(false);
    this.timers.clearTimeout(this.timer);
    this.timer = this.timers.setTimeout(() => this.onChange(true), this.guardMs);
  }

  /** Whether input that began at ``start`` (an event timeStamp) answers the screen shown now. */
  accepts(start) {
    return start >= this.shownAt + this.guardMs;
  }

  /** When the gesture that produced ``click`` began. */
  startOf(click) {
    if (!click.isTrusted) return click.timeStamp;
    // detail 0: activated from the keyboard (Enter or Space); else by a pointer.
    const gesture = click.detail === 0 ? this.key : this.pointer;
    if (gesture && (gesture.end === null || click.timeStamp - gesture.end < CLICK_AFTER_RELEASE_MS)) {
      return gesture.start;
    }
    return click.timeStamp;
  }

  /** Watch gestures on ``target`` and stop clicks that began too early, before any handler sees them. */
  install(target) {
    target.addEventListener("pointerdown", (e) => { this.pointer = { start: e.timeStamp, end: null }; }, true);
    const release = (e) => { if (this.pointer) this.pointer.end = e.timeStamp; };
    target.addEventListener("pointerup", release, true);
    target.addEventListener("pointercancel", release, true);
    target.addEventListener("keydown", (e) => {
      if (!e.repeat) this.key = { start: e.timeStamp, end: null };
    }, true);
    target.addEventListener("keyup", (e) => { if (this.key) this.key.end = e.timeStamp; }, true);
    target.addEventListener("click", (e) => {
      if (!this.accepts(this.startOf(e))) {
        e.preventDefault();
        e.stopImmediatePropagation();
      }
    }, true);
  }
}
