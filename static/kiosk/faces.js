// Face (or thumb) icons for each point of a scale, as inline SVG, with a colour
// per sentiment. Colour is never the only cue: every button also has a text label.

const COLOURS = {
  // worst .. best; each has at least 3:1 contrast against white (WCAG 1.4.11)
  5: ["#b50909", "#c05600", "#8c6c00", "#4a7a2c", "#00704a"],
  4: ["#b50909", "#c05600", "#4a7a2c", "#00704a"],
  3: ["#b50909", "#8c6c00", "#00704a"],
  2: ["#b50909", "#00704a"],
};

// Mouth curve from -1 (frown) to 1 (smile).
function mouth(curve) {
  const y = 66;
  const dy = curve * 14;
  return `<path d="M32 ${y} Q50 ${y + dy} 68 ${y}" fill="none" stroke="currentColor" stroke-width="6" stroke-linecap="round"/>`;
}

function face(curve) {
  return `<svg viewBox="0 0 100 100" aria-hidden="true" focusable="false">
<circle cx="50" cy="50" r="44" fill="none" stroke="currentColor" stroke-width="6"/>
<circle cx="35" cy="40" r="6" fill="currentColor"/><circle cx="65" cy="40" r="6" fill="currentColor"/>
${mouth(curve)}</svg>`;
}

function thumb(up) {
  const rotate = up ? "" : ' transform="rotate(180 50 50)"';
  return `<svg viewBox="0 0 100 100" aria-hidden="true" focusable="false"><g${rotate}>
<path d="M30 46h-12v40h12zM36 86h36c5 0 9-3 10-8l6-26c1-5-3-10-8-10H60l3-16c1-6-3-12-9-12l-18 32z"
 fill="none" stroke="currentColor" stroke-width="6" stroke-linejoin="round"/></g></svg>`;
}

export function colour(points, rating) {
  return (COLOURS[points] || COLOURS[5])[rating - 1];
}

export function icon(points, rating) {
  if (points === 2) return thumb(rating === 2);
  const curve = points === 1 ? 0 : (2 * (rating - 1)) / (points - 1) - 1;
  return face(curve);
}
