// Parts of a form that only some choices need (checkout: the new-address fields, the
// invoice's title and tax number) say so: data-shown-by="invoice_kind=personal,company".
// They are hidden while the field named has another value, and shown again when it
// changes. A part holding an error stays shown. Without JavaScript everything shows.
(function () {
  "use strict";
  var parts = document.querySelectorAll("[data-shown-by]");
  if (!parts.length) return;

  function valueOf(name) {
    var fields = document.querySelectorAll('[name="' + CSS.escape(name) + '"]');
    for (var i = 0; i < fields.length; i++) {
      var f = fields[i];
      if (f.type === "radio" || f.type === "checkbox") { if (f.checked) return f.value; }
      else return f.value;
    }
    return "";
  }

  function update() {
    parts.forEach(function (part) {
      var rule = part.getAttribute("data-shown-by").split("=");
      var wanted = rule[1].split(",");
      var hasError = part.querySelector(".field-invalid, [role=alert]");
      part.hidden = wanted.indexOf(valueOf(rule[0])) === -1 && !hasError;
    });
  }
  document.addEventListener("change", update);
  document.addEventListener("htmx:afterSettle", update);  // a pasted address chooses "new"
  update();
})();
