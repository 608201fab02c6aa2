// The kiosk's audio mode, after the EZ Access convention for federal kiosks: started by the
// visible Audio button or the help key, it speaks each screen, the up and down arrows move
// from answer to answer (each spoken), Enter chooses, and the help key repeats the instructions.
// It ends when the kiosk resets for the next visitor.

import { Speaker } from "./speech.js";

export class AudioGuide {
  /**
   * ``text()``: the visitor strings in the current language; ``lang()``: that language;
   * ``screen()``: the screen shown; ``onChange(on)``: the page shows the mode.
   */
  constructor({ text, lang, screen, onChange = () => {}, speaker = new Speaker() }) {
    Object.assign(this, { text, lang, screen, onChange, speaker });
    this.on = false;
  }

  start() {
    this.on = true;
    this.onChange(true);
    this.announce(true);
  }

  stop() {
    const was = this.on;
    this.on = false;
    this.speaker.stop();
    if (was) this.onChange(false);
  }

  /** Say what the current screen asks, and how to answer it (``intro``: after the mode started). */
  announce(intro = false) {
    if (!this.on) return this.speaker.finished;
    const t = this.text();
    const byId = (id) => document.getElementById(id).textContent;
    const lines = {
      question: [byId("question"), t.audio_help_question],
      followup: [byId("followup-title"), t.followup_hint, t.audio_help_followup],
      thanks: [t.thanks, t.thanks_detail],
    }[this.screen()] || [];
    return this.say([intro ? t.audio_on : null, ...lines]);
  }

  /** Say the answer ``element`` the visitor moved to (a face, a chip, a button, a language). */
  describe(element) {
    if (!this.on || !element) return;
    const t = this.text();
    if (element.classList.contains("lang")) {
      this.speaker.say([element.textContent], element.lang); // each language in its own voice
      return;
    }
    const label = (element.querySelector(".label") || element).textContent.trim();
    if (element.classList.contains("rate")) {
      const faces = [...document.querySelectorAll(".rate")];
      const position = String(faces.indexOf(element) + 1);
      this.say([t.audio_item.replace("{label}", label).replace("{position}", position).replace("{total}", String(faces.length))]);
    } else if (element.classList.contains("chip")) {
      const ticked = element.getAttribute("aria-pressed") === "true";
      this.say([`${label}, ${ticked ? t.audio_ticked : t.audio_unticked}`]);
    } else {
      this.say([label]);
    }
  }

  say(lines) {
    return this.speaker.say(lines, this.lang());
  }

  /** Resolves when what is being said has been said (or would have been, at a normal pace). */
  get finished() {
    return this.speaker.finished;
  }
}
