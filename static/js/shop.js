/* Small progressive enhancements. Every page works without this file; the server enforces
   everything (one order per checkout key, all validation). */
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  ready(function () {
    // Move focus to the error summary so keyboard and screen-reader users hear what went wrong.
    var summary = document.querySelector("[data-error-summary]");
    if (summary) summary.focus();

    // Forms that must be sent once (Place order): ignore further submits while the first is on its way.
    document.querySelectorAll("form[data-submit-once]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (form.dataset.submitted === "true") {
          event.preventDefault();
          return;
        }
        form.dataset.submitted = "true";
        form.querySelectorAll("button[type=submit]").forEach(function (button) {
          button.setAttribute("aria-disabled", "true");
        });
      });
    });
    // Coming back with the Back button shows the page from the cache: let it be used again.
    window.addEventListener("pageshow", function (event) {
      if (!event.persisted) return;
      document.querySelectorAll("form[data-submit-once]").forEach(function (form) {
        form.dataset.submitted = "false";
        form.querySelectorAll("button[type=submit]").forEach(function (button) {
          button.removeAttribute("aria-disabled");
        });
      });
    });

    // Checkout: show the new-address fields only when "A new address" is chosen, and the invoice
    // address only when it differs. Hidden fields are still sent; the server ignores them then.
    var checkout = document.querySelector("form[data-checkout]");
    if (checkout) {
      var newAddress = checkout.querySelector("[data-new-address]");
      var billing = checkout.querySelector("[data-billing-address]");
      var choices = checkout.querySelectorAll("input[name=address_choice]");
      var billingSame = checkout.querySelector("input[name=billing_same]");
      var hasErrors = function (section) {
        return section && section.querySelector(".field--error") !== null;
      };
      var sync = function () {
        if (newAddress && choices.length) {
          var chosen = checkout.querySelector("input[name=address_choice]:checked");
          newAddress.hidden = !!chosen && chosen.value !== "new" && !hasErrors(newAddress);
        }
        if (billing && billingSame) {
          billing.hidden = billingSame.checked && !hasErrors(billing);
        }
      };
      choices.forEach(function (input) { input.addEventListener("change", sync); });
      if (billingSame) billingSame.addEventListener("change", sync);
      sync();
    }
  });
})();
