// SKU choice on the product page: values that would give no SKU, or one out of stock, are
// disabled; a full choice shows that SKU's price, code and stock. Data: #sku-data (JSON).
(function () {
  "use strict";
  var form = document.getElementById("sku-form");
  var data = document.getElementById("sku-data");
  if (!form || !data) return;
  var skus = JSON.parse(data.textContent);
  var names = Array.from(new Set(Array.from(form.querySelectorAll("fieldset.spec input")).map(function (i) { return i.name; })));
  var stock = document.getElementById("sku-stock");

  function chosen() {
    var c = {};
    names.forEach(function (n) {
      var i = form.querySelector('input[name="' + CSS.escape(n) + '"]:checked');
      if (i) c[n] = i.value;
    });
    return c;
  }
  function matches(sku, c) {
    return Object.keys(c).every(function (n) { return sku.specs[n] === c[n]; });
  }
  function refresh() {
    var c = chosen();
    form.querySelectorAll("fieldset.spec input").forEach(function (input) {
      var trial = Object.assign({}, c);
      trial[input.name] = input.value;
      var ok = skus.some(function (s) { return s.available && matches(s, trial); });
      input.disabled = !ok;
      input.parentElement.classList.toggle("off", !ok);
      if (!ok && input.checked) input.checked = false;
    });
    c = chosen();
    var complete = Object.keys(c).length === names.length;
    var sku = complete ? skus.find(function (s) { return matches(s, c); }) : null;
    var label = stock.querySelector("span");
    if (sku) {
      document.getElementById("sku-price").textContent = "¥" + sku.price;
      document.getElementById("sku-code").textContent = sku.code;
      document.getElementById("sku-id").value = sku.id;
      label.textContent = sku.available ? stock.dataset.in : stock.dataset.out;
      label.className = sku.available ? "in" : "out";
      var url = new URL(window.location.href);
      url.searchParams.set("sku", sku.id);
      window.history.replaceState(null, "", url);
    } else if (complete) {
      label.textContent = stock.dataset.none;
      label.className = "out";
    }
    form.dataset.selectedSku = sku ? String(sku.id) : "";
    // Only a complete choice of a SKU in stock can go in the cart.
    var add = form.querySelector("button.add-to-cart");
    if (add) add.disabled = !(sku && sku.available);
  }
  form.addEventListener("change", function (e) {
    // Choosing a value clears the other choices it cannot be combined with.
    if (e.target.matches("fieldset.spec input")) {
      var c = chosen();
      if (!skus.some(function (s) { return s.available && matches(s, c); })) {
        form.querySelectorAll("fieldset.spec input:checked").forEach(function (i) {
          if (i !== e.target) i.checked = false;
        });
      }
    }
    refresh();
    // The price and stock changed beside the chosen value: read them out (a11y.js).
    if (window.mercatoAnnounce && e.target.matches("fieldset.spec input")) {
      window.mercatoAnnounce(document.getElementById("sku-price").textContent + " " +
        stock.querySelector("span").textContent);
    }
  });
  document.querySelectorAll("select[data-autosubmit]").forEach(function (s) {
    s.addEventListener("change", function () {
      // Come back to this page as it is now: the SKU chosen in place is in the address only.
      var next = s.form.querySelector('input[name="next"]');
      if (next) next.value = window.location.pathname + window.location.search;
      s.form.submit();
    });
  });
  document.querySelectorAll("a[data-gallery]").forEach(function (a) {
    a.addEventListener("click", function (e) {
      e.preventDefault();
      document.getElementById("main-image").src = a.getAttribute("href");
    });
  });
  refresh();
})();
