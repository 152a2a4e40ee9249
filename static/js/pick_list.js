// The pick list (templates/admin/orders/pick_list.html): a ticked row is struck through.
document.addEventListener("DOMContentLoaded", () => {
  for (const tick of document.querySelectorAll("[data-pick-row] .pick-tick")) {
    tick.addEventListener("change", () => {
      tick.closest("[data-pick-row]").classList.toggle("pick-row--done", tick.checked);
    });
  }
});
