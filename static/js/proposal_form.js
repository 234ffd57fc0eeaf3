/* The proposal form, enhanced (issue #8 item 18). Without this script every section shows,
   each saying which methods it is for, and the deadline's default is the one of the category
   the page was opened with. With it:
   - only the section of the chosen method shows (the server ignores the other one anyway);
   - choosing a category moves the default closing time to the earliest that category allows
     (computed by the server, in the cooperative's time zone, on each option), unless the
     person has typed a later one, and its help text says the category's periods;
   - "What this proposal enacts" shows only for a category that may carry an enactment
     (issue #9; the server ignores it for the others);
   - after a refused submission the focus goes to the error summary at the top. */
(function () {
  "use strict";

  function enhance(form) {
    var method = form.querySelector("[name=method]");
    var category = form.querySelector("[name=category]");
    var closes = form.querySelector("[name=closes_at]");
    var closesHelp = document.getElementById(closes.id + "_helptext");
    var sections = form.querySelectorAll("[data-methods]");
    var enacts = form.querySelector("[data-enacts-section]");
    var zone = closesHelp ? closesHelp.textContent.replace(/^.*?(In the cooperative's time zone)/, "$1") : "";

    function showSections() {
      Array.prototype.forEach.call(sections, function (section) {
        section.hidden = section.dataset.methods.split(" ").indexOf(method.value) === -1;
      });
    }

    function showEnacts() {
      var option = category.options[category.selectedIndex];
      if (enacts) enacts.hidden = !(option && option.dataset.enacts);
    }

    function followCategory() {
      var option = category.options[category.selectedIndex];
      showEnacts();
      if (!option) return;
      var earliest = option.dataset.closesAt;
      // Values are "YYYY-MM-DDTHH:MM": as strings they sort like the times they stand for.
      if (earliest && (!closes.dataset.typed || !closes.value || closes.value < earliest)) {
        closes.value = earliest;
      }
      if (closesHelp && option.dataset.floors) {
        closesHelp.textContent = option.dataset.floors + " " + zone;
      }
    }

    closes.addEventListener("input", function () { closes.dataset.typed = "true"; });
    method.addEventListener("change", showSections);
    category.addEventListener("change", followCategory);
    showSections();
    showEnacts();
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-proposal-form]"), enhance);
    var summary = document.getElementById("error-summary");
    if (summary) summary.focus();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
