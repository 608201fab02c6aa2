// Destructive actions ask first (admin_app/confirm.py). A form with data-confirm-title shows its
// words in a modal <dialog> before it is sent: focus goes to Cancel, Esc or Cancel closes it and
// focus returns to the button; confirming adds confirm=1 so the server skips its own
// confirmation page (which is what a browser without script gets).
(() => {
  let dialog = null;

  function build() {
    dialog = document.createElement("dialog");
    dialog.className = "confirm-dialog";
    dialog.setAttribute("aria-labelledby", "confirm-dialog-title");
    dialog.setAttribute("aria-describedby", "confirm-dialog-body");
    dialog.innerHTML =
      '<h2 id="confirm-dialog-title"></h2><p class="confirm-lead"></p><ul id="confirm-dialog-body"></ul>' +
      '<div class="confirm-actions"><button type="button" class="button danger" value="ok"></button>' +
      '<button type="button" class="button" value="cancel"></button></div>';
    document.body.appendChild(dialog);
    return dialog;
  }

  function needsConfirmation(form) {
    if (!form.dataset.confirmTitle || form.querySelector('input[name="confirm"][value="1"]')) return false;
    const only = form.dataset.confirmWhenAction;
    if (!only) return true;
    const select = form.elements.namedItem("action");
    if (!select || select.value !== only) return false;
    return Array.from(form.elements).some((el) => el.name === "ids" && el.checked);
  }

  function ask(form, submitter) {
    const box = dialog || build();
    box.querySelector("h2").textContent = form.dataset.confirmTitle;
    box.querySelector(".confirm-lead").textContent = form.dataset.confirmLead || "";
    const list = box.querySelector("ul");
    list.replaceChildren(
      ...form.dataset.confirmBody.split("\n").filter(Boolean).map((line) => {
        const item = document.createElement("li");
        item.textContent = line;
        return item;
      }),
    );
    const [ok, cancel] = box.querySelectorAll("button");
    ok.textContent = form.dataset.confirmButton;
    cancel.textContent = form.dataset.confirmCancel || "Cancel";
    const close = () => {
      box.close();
      (submitter || form.querySelector("button")).focus();
    };
    ok.onclick = () => {
      const flag = document.createElement("input");
      flag.type = "hidden";
      flag.name = "confirm";
      flag.value = "1";
      form.appendChild(flag);
      box.close();
      if (submitter && submitter.name) {
        const chosen = document.createElement("input");
        chosen.type = "hidden";
        chosen.name = submitter.name;
        chosen.value = submitter.value;
        form.appendChild(chosen);
      }
      form.submit();
    };
    cancel.onclick = close;
    box.oncancel = (event) => {
      event.preventDefault();
      close();
    };
    box.showModal();
    cancel.focus();
  }

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !needsConfirmation(form)) return;
    event.preventDefault();
    ask(form, event.submitter);
  });
})();
