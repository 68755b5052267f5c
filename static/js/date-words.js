// Date fields (progressive enhancement). The browser draws <input type="date"> in its own
// locale (mm/dd/yyyy in a browser set to US English) while every page shows UK dates, so
// 03/12 could be read as either month. Under each date field this writes the chosen day in
// words ("Thursday 3 December 2026") and names it in the field's description. Without the
// script the field works as before; the value sent is the ISO day either way.
"use strict";
(function () {
  var DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
  var MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
    "September", "October", "November", "December"];

  function words(value) {
    var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
    if (!m) { return ""; }
    var day = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
    if (day.getUTCMonth() !== Number(m[2]) - 1) { return ""; }
    return DAYS[day.getUTCDay()] + " " + day.getUTCDate() + " " + MONTHS[day.getUTCMonth()] +
      " " + day.getUTCFullYear();
  }

  var made = 0;
  function enhance(root) {
    root.querySelectorAll('input[type="date"]:not([data-date-words])').forEach(function (input) {
      input.setAttribute("data-date-words", "");
      var out = document.createElement("span");
      out.className = "help date-words";
      out.id = (input.id || "date-field-" + (made += 1)) + "_words";
      input.insertAdjacentElement("afterend", out);
      var described = input.getAttribute("aria-describedby");
      input.setAttribute("aria-describedby", described ? described + " " + out.id : out.id);
      function show() { out.textContent = words(input.value); }
      input.addEventListener("input", show);
      input.addEventListener("change", show);
      show();
    });
  }

  enhance(document);
  // Parts of a page htmx brings in later (a form swapped in after an error, say).
  document.addEventListener("htmx:load", function (event) { enhance(event.target); });
})();
