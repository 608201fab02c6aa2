// Progressive enhancement of the phone survey. The rating is stored the moment a face is
// chosen (a visitor who closes the page then is still counted); the follow-up and comment,
// or another face, then update that same answer. Posts go one after another, in order.
// Without this script the same forms work as plain posts (rating, details, thank-you pages).

const form = document.getElementById("answer");
const details = document.getElementById("details");

if (form && details) {
  const positiveFrom = Number(form.dataset.positiveFrom);
  const saved = document.getElementById("saved");
  let rating = form.dataset.rating ? Number(form.dataset.rating) : null;
  let queue = Promise.resolve(null);

  const side = (value) => (value >= positiveFrom ? "positive" : "negative");

  /** Post the form as ``step``, after the posts before it; resolves with the response (or null). */
  function post(step) {
    const data = new FormData(form);
    data.set("rating", String(rating));
    data.set("step", step);
    queue = queue.then(() =>
      fetch(form.action, { method: "POST", body: data, headers: { Accept: "application/json" }, credentials: "same-origin" })
        .catch(() => null),
    );
    return queue;
  }

  function choose(value) {
    const before = rating;
    rating = value;
    for (const button of form.querySelectorAll("button.rate")) {
      button.setAttribute("aria-pressed", String(Number(button.value) === value));
    }
    for (const fieldset of details.querySelectorAll("fieldset.followup")) {
      const shown = fieldset.dataset.side === side(value);
      if (!shown && before !== null) {
        // The other wording's chips mean something else: the server drops them too.
        for (const box of fieldset.querySelectorAll("input[type=checkbox]")) box.checked = false;
      }
      fieldset.hidden = !shown;
      fieldset.disabled = !shown; // the other wording's boxes are not sent
    }
    details.hidden = false;
    post("rate").then((response) => {
      if (response && response.ok && saved) saved.hidden = false;
    });
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
    const step = event.submitter && event.submitter.value === "skip" ? "skip" : "send";
    for (const button of form.querySelectorAll("button")) button.disabled = true;
    const response = await post(step);
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
    if (response && [400, 403, 409, 429].includes(response.status)) {
      // Let the server's page explain (expired page, answer closed, too many answers).
      for (const [name, value] of [["rating", rating], ["step", step]]) {
        const input = document.createElement("input");
        Object.assign(input, { type: "hidden", name, value: String(value) });
        form.prepend(input); // before the form's own fields: the server reads the first value
      }
      form.submit();
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
