// Speech for the kiosk's audio mode (Section 508 §402 closed functionality): the Web Speech
// API in the survey's language. Each new announcement interrupts the one before, as a visitor
// moving on with the arrow keys expects.

// Our language codes (or the page's BCP 47 tags) to the voices' regional tags.
const VOICE_LANG = {
  en: "en-US",
  es: "es-US",
  zh: "zh-CN",
  "zh-Hans": "zh-CN",
  vi: "vi-VN",
  ko: "ko-KR",
  tl: "fil-PH",
  ar: "ar-SA",
};
const MS_PER_CHARACTER = 70; // when a browser never reports the end of an utterance

export class Speaker {
  constructor({ synth = globalThis.speechSynthesis, Utterance = globalThis.SpeechSynthesisUtterance, timers = globalThis } = {}) {
    this.synth = synth;
    this.Utterance = Utterance;
    this.timers = timers;
    this.finished = Promise.resolve();
  }

  get available() {
    return Boolean(this.synth && this.Utterance);
  }

  /** Say ``texts`` in order in ``lang``, after stopping what was being said. */
  say(texts, lang) {
    if (!this.available) return this.finished;
    this.synth.cancel();
    const lines = texts.filter(Boolean);
    let last = null;
    for (const text of lines) {
      last = new this.Utterance(text);
      last.lang = VOICE_LANG[lang] || lang;
      this.synth.speak(last);
    }
    const estimate = lines.join(" ").length * MS_PER_CHARACTER;
    this.finished = new Promise((resolve) => {
      const timer = this.timers.setTimeout(resolve, estimate);
      if (last) last.onend = () => { this.timers.clearTimeout(timer); resolve(); };
    });
    return this.finished;
  }

  stop() {
    if (this.available) this.synth.cancel();
    this.finished = Promise.resolve();
  }
}
