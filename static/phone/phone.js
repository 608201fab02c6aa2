// Progressive enhancement of the phone survey: choose a rating, see the matching
// follow-up on the same page, send without a reload. Without this script the same
// forms work as plain posts (rating page, details page, thank-you page).

const form = document.getElementById("answer");
const details = document.getElementById("details");

if (form && details) {
  const positiveFrom = Number(form.dataset.positiveFrom);
  let rating = null;

  function choose(value) {
    rating = value;
    for (const button of form.querySelectorAll("button.rate")) {
      button.setAttribute("aria-pressed", String(Number(button.value) === value));
    }
    const side = value >= positiveFrom ? "positive" : "negative";
    for (const fieldset of details.querySelectorAll("fieldset.followup")) {
      const shown = fieldset.dataset.side === side;
      fieldset.hidden = !shown;
      fieldset.disabled = !shown; // the other wording's boxes are not sent
    }
    details.hidden = false;
    const heading = details.querySelector("fieldset:not([hidden]) h2") || details.querySelector("label");
    if (heading) {
      heading.tabIndex = -1;
      heading.focus();
    }
  }

  form.addEventListener("click", (event) => {
    const button = event.target.closest("button.rate");
    if (button) {
      event.preventDefault();
      choose(Number(button.value));
    }
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (rating === null) return;
    const data = new FormData(form);
    data.set("rating", String(rating));
    data.set("step", event.submitter && event.submitter.value === "skip" ? "skip" : "send");
    for (const button of form.querySelectorAll("button")) button.disabled = true;
    let response = null;
    try {
      response = await fetch(form.action, {
        method: "POST",
        body: data,
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
    } catch (error) {
      response = null;
    }
    if (response && response.ok) {
      const main = document.getElementById("main");
      const title = document.createElement("h1");
      title.textContent = form.dataset.thanks;
      title.tabIndex = -1;
      const detail = document.createElement("p");
      detail.textContent = form.dataset.thanksDetail;
      main.className = "message";
      main.replaceChildren(title, detail);
      title.focus();
      return;
    }
    if (response && (response.status === 429 || response.status === 400)) {
      form.submit(); // let the server's page explain (too many answers, expired page)
      return;
    }
    for (const button of form.querySelectorAll("button")) button.disabled = false;
    let alert = form.querySelector(".error");
    if (!alert) {
      alert = document.createElement("div");
      alert.className = "error";
      alert.setAttribute("role", "alert");
      form.prepend(alert);
    }
    alert.textContent = form.dataset.error;
  });
}
