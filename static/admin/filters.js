// The dashboards' location filter: checkboxes (they work without script); here, a search that
// hides the locations whose code and name do not contain what is typed. Ticked boxes stay ticked
// (and sent) when hidden.
document.addEventListener("DOMContentLoaded", () => {
  const list = document.getElementById("f-location-list");
  const search = document.getElementById("f-location-search");
  if (!list || !search) return;
  const items = Array.from(list.querySelectorAll("li"));
  const shown = document.getElementById("f-location-shown");
  search.closest(".location-search").hidden = false;
  const update = () => {
    const words = search.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    let visible = 0;
    items.forEach((item) => {
      const text = item.textContent.toLowerCase();
      const match = words.every((word) => text.includes(word));
      item.hidden = !match;
      if (match) visible += 1;
    });
    shown.textContent = words.length
      ? shown.dataset.template.replace("{shown}", visible).replace("{total}", items.length)
      : "";
  };
  search.addEventListener("input", update);
  search.addEventListener("keydown", (event) => {
    if (event.key === "Enter") event.preventDefault(); // Enter in the search does not apply the filters
  });
});
