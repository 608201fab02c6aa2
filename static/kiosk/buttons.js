// The kiosk's buttons, built from its configuration: languages, faces (best first), chips.

import { colour, icon } from "./faces.js";

function button(className, text) {
  const element = document.createElement("button");
  element.type = "button";
  element.className = className;
  if (text !== undefined) element.textContent = text;
  return element;
}

/** One button per language, each named in its own language; ``lang`` is pressed. */
export function languageButtons(config, lang, onChoose) {
  return config.languages.map((code) => {
    const element = button("lang", config.text[code].language_name);
    element.lang = config.text[code].html_lang || code;
    element.dir = config.text[code].dir || "ltr";
    element.dataset.code = code;
    element.setAttribute("aria-pressed", String(code === lang));
    element.addEventListener("click", () => onChoose(code));
    return element;
  });
}

/** The scale's faces, best first (the order visitors read from the left on FeedbackUSA kiosks). */
export function faceButtons(points, labels, onTap) {
  const faces = [];
  for (let rating = points; rating >= 1; rating -= 1) {
    const element = button("rate");
    element.dataset.rating = rating;
    element.style.setProperty("--tone", colour(points, rating));
    element.innerHTML = `${icon(points, rating)}<span class="label"></span>`;
    element.querySelector(".label").textContent = labels[rating - 1];
    element.addEventListener("click", (event) => onTap(rating, event));
    faces.push(element);
  }
  return faces;
}

/** Toggle chips for the follow-up ``keys`` in ``wording``; ``onToggle(key, on, chip)``. */
export function chipButtons(keys, wording, chosen, onToggle) {
  return keys.map((key) => {
    const chip = button("chip", wording[key]);
    chip.dataset.choice = key;
    chip.setAttribute("aria-pressed", String(chosen.has(key)));
    chip.addEventListener("click", () => {
      const on = chip.getAttribute("aria-pressed") !== "true";
      chip.setAttribute("aria-pressed", String(on));
      onToggle(key, on, chip);
    });
    return chip;
  });
}
