// The comment inbox: a "select all" box for the bulk form. Without script each box is ticked by hand.
document.addEventListener("DOMContentLoaded", () => {
  const all = document.getElementById("select-all");
  if (!all) return;
  const boxes = () => Array.from(document.querySelectorAll('input[type="checkbox"][name="ids"][form="bulk"]'));
  if (!boxes().length) return;
  all.closest(".select-all").hidden = false;
  const sync = () => {
    const ticked = boxes().filter((box) => box.checked).length;
    all.checked = ticked > 0 && ticked === boxes().length;
    all.indeterminate = ticked > 0 && ticked < boxes().length;
  };
  all.addEventListener("change", () => {
    boxes().forEach((box) => { box.checked = all.checked; });
    sync();
  });
  boxes().forEach((box) => box.addEventListener("change", sync));
  sync();
});
