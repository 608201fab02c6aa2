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
// Other names voices use for the same language: Filipino for Tagalog, Mandarin for Chinese.
const SAME_LANGUAGE = { fil: ["fil", "tl"], tl: ["fil", "tl"], zh: ["zh", "cmn"], cmn: ["zh", "cmn"] };
const MS_PER_CHARACTER = 70; // when a browser never reports the end of an utterance

const normal = (tag) => String(tag || "").replace(/_/g, "-").toLowerCase(); // Android says en_US
const primary = (tag) => normal(tag).split("-")[0];

/** The voice that speaks ``tag`` best: the same regional tag, else the same language in another
 * region (or under another name of it); null when no listed voice speaks the language (the
 * utterance still names it, for a browser that lists no voices but picks one by language). Never
 * another language's voice: English phonetics reading Vietnamese helps nobody. */
export function voiceFor(voices, tag) {
  const wanted = normal(tag);
  const names = SAME_LANGUAGE[primary(tag)] || [primary(tag)];
  const speaking = [...(voices || [])].filter((v) => names.includes(primary(v.lang)));
  return (
    speaking.find((v) => normal(v.lang) === wanted && v.localService) ||
    speaking.find((v) => normal(v.lang) === wanted) ||
    speaking.find((v) => v.localService) ||
    speaking[0] ||
    null
  );
}

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
    const tag = VOICE_LANG[lang] || lang;
    // Voices arrive after the page loads (Chromium's voiceschanged): look them up each time.
    const voice = voiceFor(this.synth.getVoices ? this.synth.getVoices() : [], tag);
    let last = null;
    for (const text of lines) {
      last = new this.Utterance(text);
      last.lang = tag;
      if (voice) last.voice = voice;
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
