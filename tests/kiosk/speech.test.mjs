// The kiosk's speech (static/kiosk/speech.js) with node's test runner (make test-js): which
// voice says each visitor language, and that every utterance names its language.

import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { Speaker, voiceFor } from "../../static/kiosk/speech.js";

const voice = (lang, name, localService = true) => ({ lang, name, localService });
const VOICES = [
  voice("en-US", "English (US)"),
  voice("es-ES", "Spanish (Spain)"),
  voice("es-US", "Spanish (US), network", false),
  voice("cmn-CN", "Mandarin"),
  voice("vi_VN", "Vietnamese"), // Android's underscore
  voice("ko-KR", "Korean"),
  voice("ar", "Arabic"),
];

describe("voiceFor", () => {
  it("takes the voice of the same regional tag", () => {
    assert.equal(voiceFor(VOICES, "ko-KR").name, "Korean");
    assert.equal(voiceFor(VOICES, "es-US").name, "Spanish (US), network");
    assert.equal(voiceFor(VOICES, "vi-VN").name, "Vietnamese");
  });

  it("takes the language in another region, or under another name of it", () => {
    assert.equal(voiceFor(VOICES, "ar-SA").name, "Arabic");
    assert.equal(voiceFor(VOICES, "zh-CN").name, "Mandarin");
    assert.equal(voiceFor([voice("tl-PH", "Tagalog")], "fil-PH").name, "Tagalog");
  });

  it("prefers a voice on the device when two speak the same tag", () => {
    const two = [voice("en-US", "cloud", false), voice("en-US", "device")];
    assert.equal(voiceFor(two, "en-US").name, "device");
  });

  it("gives none when no voice speaks the language, never another language's", () => {
    assert.equal(voiceFor(VOICES, "fil-PH"), null);
    assert.equal(voiceFor([], "en-US"), null);
    assert.equal(voiceFor(undefined, "en-US"), null);
  });
});

describe("Speaker", () => {
  function fakeSynth(voices) {
    const synth = { spoken: [], getVoices: () => voices, cancel() {}, speak(u) { synth.spoken.push(u); } };
    return synth;
  }
  class Utterance {
    constructor(text) {
      this.text = text;
      this.voice = null;
    }
  }
  const timers = { setTimeout: () => 0, clearTimeout() {} };

  it("says each line in the language's voice and names the language", () => {
    const synth = fakeSynth(VOICES);
    new Speaker({ synth, Utterance, timers }).say(["안녕하세요", "", "감사합니다"], "ko");
    assert.deepEqual(
      synth.spoken.map((u) => [u.text, u.lang, u.voice.name]),
      [["안녕하세요", "ko-KR", "Korean"], ["감사합니다", "ko-KR", "Korean"]],
    );
  });

  it("leaves the voice to the browser's choice for the tag when none speaks it", () => {
    const synth = fakeSynth(VOICES);
    new Speaker({ synth, Utterance, timers }).say(["Salamat"], "tl");
    assert.deepEqual(synth.spoken.map((u) => [u.lang, u.voice]), [["fil-PH", null]]);
  });

  it("reads the voices again on each announcement (they load after the page)", () => {
    const voices = [];
    const synth = fakeSynth(voices);
    const speaker = new Speaker({ synth, Utterance, timers });
    speaker.say(["hola"], "es");
    voices.push(voice("es-US", "Spanish (US)"));
    speaker.say(["hola"], "es");
    assert.deepEqual(synth.spoken.map((u) => u.voice && u.voice.name), [null, "Spanish (US)"]);
  });
});
