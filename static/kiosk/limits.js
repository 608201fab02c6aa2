// Time limits a visitor can see and extend (WCAG 2.2.1): one per screen, restarted by any
// touch or key. While a limit runs, onTick(secondsLeft, warn, period) tells the page what to
// show: warn is true once the time left is within the limit's warning period, and period
// counts the starts and extensions (so a spoken warning is said once per period).

export class TimeLimit {
  constructor({ timers = globalThis, now = () => Date.now(), onTick = () => {} } = {}) {
    this.timers = timers;
    this.now = now;
    this.onTick = onTick;
    this.current = null;
    this.interval = null;
    this.period = 0;
  }

  /**
   * Run ``onExpire`` after ``seconds`` unless extended; ``warnSeconds`` before the end the page
   * is told to warn (Infinity: warn for the whole time).
   */
  start(seconds, onExpire, { warnSeconds = Infinity } = {}) {
    this.stop();
    this.period += 1;
    this.current = { seconds, onExpire, warnSeconds, deadline: this.now() + seconds * 1000 };
    this.interval = this.timers.setInterval(() => this.tick(), 250);
    this.tick();
  }

  /** Any touch or key: the full time again. */
  extend() {
    if (!this.current) return;
    this.period += 1;
    this.current.deadline = this.now() + this.current.seconds * 1000;
    this.tick();
  }

  stop() {
    this.timers.clearInterval(this.interval);
    this.interval = null;
    const had = this.current !== null;
    this.current = null;
    if (had) this.onTick(null, false, this.period);
  }

  secondsLeft() {
    return this.current ? Math.max(0, Math.ceil((this.current.deadline - this.now()) / 1000)) : null;
  }

  tick() {
    const limit = this.current;
    if (!limit) return;
    const left = limit.deadline - this.now();
    if (left <= 0) {
      this.stop();
      limit.onExpire();
      return;
    }
    this.onTick(Math.ceil(left / 1000), left <= limit.warnSeconds * 1000, this.period);
  }
}
