/* The order desk (templates/admin/orders/order_desk/desk.html): live look-ups and totals.
   The page works without this file (its submit buttons do the same on the server). Every amount
   shown comes from the server's pricing endpoint; nothing computed here is sent as a price. */
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  function debounce(fn, wait) {
    var timer = null;
    return function () {
      var args = arguments;
      clearTimeout(timer);
      timer = setTimeout(function () { fn.apply(null, args); }, wait);
    };
  }

  function text(node, value) { if (node) node.textContent = value == null ? "" : String(value); }

  function availabilityText(item) {
    if (item.tracks_stock === false || item.available === null) return "service";
    if (!item.availability || !item.availability.length) return "none in stock";
    return item.availability.map(function (a) { return a.warehouse + " " + a.available; }).join(" · ");
  }

  ready(function () {
    var form = document.querySelector("form[data-order-desk]");
    if (!form) return;
    var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
    var tbody = form.querySelector("[data-desk-lines] tbody");
    var template = form.querySelector("template[data-desk-line-template]");
    var productResults = form.querySelector("[data-desk-product-results]");
    var customerResults = form.querySelector("[data-desk-customer-results]");
    var addTerm = form.querySelector("input[name=add_term]");
    var addQuantity = form.querySelector("input[name=add_quantity]");
    var customerQ = form.querySelector("input[name=customer_q]");
    var pending = 0;

    function getJSON(url) {
      return fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" }).then(function (r) {
        return r.json().then(function (body) { return { ok: r.ok, body: body }; });
      });
    }

    function rows() { return Array.prototype.slice.call(tbody.querySelectorAll("tr[data-desk-line]")); }

    function renumber() {
      rows().forEach(function (row, index) {
        row.dataset.row = String(index);
        row.querySelector("input[name=line_remove]").value = String(index);
      });
      var empty = tbody.querySelector("[data-desk-no-lines]");
      if (empty) empty.hidden = rows().length > 0;
    }

    // Ask the server to price the form as it stands; show its lines and totals.
    var reprice = debounce(function () {
      var data = new FormData(form);
      var seq = ++pending;
      form.classList.add("desk-busy");
      fetch(form.dataset.priceUrl, {
        method: "POST",
        body: data,
        headers: { "X-CSRFToken": csrf, Accept: "application/json" },
        credentials: "same-origin"
      }).then(function (r) { return r.json(); }).then(function (body) {
        if (seq !== pending) return;  // a newer change is on its way
        form.classList.remove("desk-busy");
        var problems = form.querySelector("[data-desk-problems]");
        problems.textContent = "";
        if (body.status && body.status >= 400) {
          var li = document.createElement("li");
          li.textContent = body.detail;
          problems.appendChild(li);
          return;
        }
        // Offer only the delivery methods that deliver this order, each with its fee.
        var methodSelect = form.querySelector("select[name=delivery_method]");
        if (methodSelect && body.delivery_methods) {
          var offered = {};
          body.delivery_methods.forEach(function (m) { offered[String(m.id)] = m; });
          Array.prototype.forEach.call(methodSelect.options, function (option) {
            if (!option.value) return;
            var m = offered[option.value];
            option.hidden = !m;
            option.disabled = !m;
            if (m) option.textContent = m.name + " · " + m.fee;
          });
        }
        var byRow = {};
        (body.lines || []).forEach(function (line) { byRow[line.row] = line; });
        var posted = 0;
        rows().forEach(function (row) {
          if (row.querySelector("input[name=line_remove]").checked) return;  // not posted as a line
          var line = byRow[posted++];
          if (!line) return;
          text(row.querySelector("[data-desk-unit-price]"), line.unit_price);
          text(row.querySelector("[data-desk-line-total]"), line.line_total);
          var cell = row.querySelector("[data-desk-availability]");
          text(cell, availabilityText(line));
          if (line.short) {
            var badge = document.createElement("span");
            badge.className = "badge badge--attention";
            badge.textContent = "short";
            cell.appendChild(document.createTextNode(" "));
            cell.appendChild(badge);
          }
        });
        Object.keys(body.totals || {}).forEach(function (name) {
          text(form.querySelector("[data-total=" + name + "]"), body.totals[name]);
        });
        (body.problems || []).forEach(function (problem) {
          var li = document.createElement("li");
          li.textContent = problem.message;
          problems.appendChild(li);
        });
      }).catch(function () { form.classList.remove("desk-busy"); });
    }, 200);

    function addLine(product) {
      var row = template.content.firstElementChild.cloneNode(true);
      row.querySelector("input[name=line_product]").value = String(product.id);
      text(row.querySelector("[data-desk-sku]"), product.sku);
      text(row.querySelector("[data-desk-name]"), product.name);
      text(row.querySelector("[data-desk-availability]"), availabilityText(product));
      var quantity = parseInt(addQuantity && addQuantity.value, 10);
      row.querySelector("input[name=line_quantity]").value = String(quantity >= 1 && quantity <= 999 ? quantity : 1);
      row.querySelector("input[name=line_quantity]").setAttribute("aria-label", "Quantity of " + product.sku);
      tbody.appendChild(row);
      renumber();
      addTerm.value = "";
      if (addQuantity) addQuantity.value = "1";
      productResults.textContent = "";
      reprice();
    }

    function showProducts(products) {
      productResults.textContent = "";
      products.forEach(function (product) {
        var li = document.createElement("li");
        var button = document.createElement("button");
        button.type = "button";
        button.className = "button";
        button.textContent = "Add";
        button.addEventListener("click", function () { addLine(product); });
        li.appendChild(button);
        li.appendChild(document.createTextNode(" " + product.sku + " " + product.name + " · " + product.price +
          " · " + availabilityText(product)));
        li.dataset.testid = "desk-product-result";
        productResults.appendChild(li);
      });
    }

    function searchProducts(exactAdds) {
      var term = addTerm.value.trim();
      if (!term) { productResults.textContent = ""; return; }
      getJSON(form.dataset.productsUrl + "?q=" + encodeURIComponent(term)).then(function (answer) {
        if (!answer.ok) return;
        var products = answer.body.products;
        var exact = products.filter(function (p) {
          return p.sku.toUpperCase() === term.toUpperCase() || p.barcode === term;
        });
        if (exactAdds && (exact.length === 1 || products.length === 1)) addLine(exact[0] || products[0]);
        else showProducts(products);
      });
    }

    addTerm.addEventListener("input", debounce(function () { searchProducts(false); }, 250));
    addTerm.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); searchProducts(true); }
    });
    form.querySelector("[data-desk-add-line]").addEventListener("click", function (event) {
      event.preventDefault();
      searchProducts(true);
    });

    // Customers: choose one from the live results; their first address fills an empty invoice address.
    function chooseCustomer(customer) {
      form.querySelector("input[name=customer_id]").value = String(customer.id);
      text(form.querySelector("[data-desk-chosen]"), customer.full_name + " · " + customer.email +
        (customer.phone ? " · " + customer.phone : "") + " · " + customer.payment_terms);
      customerResults.textContent = "";
      var address = customer.addresses[0];
      var billingEmpty = Array.prototype.every.call(form.querySelectorAll("[name^='billing-']"), function (input) {
        return !input.value;
      });
      if (address && billingEmpty) {
        Object.keys(address).forEach(function (name) {
          var input = form.querySelector("[name='billing-" + name + "']");
          if (input) input.value = address[name] || "";
        });
      }
    }

    var searchCustomers = debounce(function () {
      var term = customerQ.value.trim();
      if (term.length < 2) { customerResults.textContent = ""; return; }
      getJSON(form.dataset.customersUrl + "?q=" + encodeURIComponent(term)).then(function (answer) {
        if (!answer.ok) return;
        customerResults.textContent = "";
        answer.body.customers.forEach(function (customer) {
          var li = document.createElement("li");
          var button = document.createElement("button");
          button.type = "button";
          button.className = "button";
          button.textContent = "Choose";
          button.addEventListener("click", function () { chooseCustomer(customer); });
          li.appendChild(button);
          li.appendChild(document.createTextNode(" " + customer.full_name + " · " + customer.email +
            (customer.phone ? " · " + customer.phone : "") + (customer.company ? " · " + customer.company : "")));
          customerResults.appendChild(li);
        });
      });
    }, 250);
    customerQ.addEventListener("input", searchCustomers);
    customerQ.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); searchCustomers(); }
    });

    // Any change that moves a price: quantities, removals, delivery, discount code.
    form.addEventListener("input", function (event) {
      var name = event.target.name || "";
      if (name === "line_quantity" || name === "discount_code" || /-country$/.test(name) || name === "ship_same") reprice();
    });
    form.addEventListener("change", function (event) {
      var name = event.target.name || "";
      if (name === "line_remove" || name === "delivery_method" || name === "line_quantity") reprice();
    });

    // One order per submit: ignore further clicks while the first is on its way (the server's
    // idempotency key makes a double submit one order anyway).
    form.addEventListener("submit", function (event) {
      if (form.dataset.submitted === "true") { event.preventDefault(); return; }
      form.dataset.submitted = "true";
    });
    window.addEventListener("pageshow", function (event) { if (event.persisted) form.dataset.submitted = "false"; });
  });
})();
