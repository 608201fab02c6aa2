// Enrolment: submit the one-time form automatically (link previewers run no script),
// then keep the issued device token in this browser and open the kiosk.
const form = document.getElementById("enroll-form");
const enrolled = document.getElementById("enrolled");
if (enrolled) {
  localStorage.setItem("kiosk.token", enrolled.dataset.token);
  localStorage.removeItem("kiosk.config");
  localStorage.removeItem("kiosk.etag");
  window.location.replace(enrolled.dataset.next);
} else if (form) {
  form.submit();
}
