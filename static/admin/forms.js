// After a form comes back from the server with errors, the focus starts on its error summary
// (the form_errors macro, data-error-summary), so the first thing read is what went wrong.
document.addEventListener("DOMContentLoaded", () => {
  const summary = document.querySelector("[data-error-summary]");
  if (summary) summary.focus();
});
