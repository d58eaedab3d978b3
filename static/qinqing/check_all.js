/* One 全选 box for a group of checkboxes ([data-qq-check-group] holding one [data-qq-check-all]): it
 * ticks or clears every other box of the group and shows itself half ticked when some are; a
 * [data-qq-ticked-count] inside the group (or on the page, when it has one group) shows how many are
 * ticked. Links marked .qq-noscript-only (the same by reloading the page) are hidden when this runs.
 * Used by 人员交接 (the projects table) and 移送督查督办 (each evidence picker). */
(function () {
  "use strict";

  function items(group) {
    return group.querySelectorAll("input[type=checkbox]:not([data-qq-check-all])");
  }

  function update(group, single) {
    var all = items(group);
    var ticked = 0;
    for (var i = 0; i < all.length; i++) if (all[i].checked) ticked++;
    var head = group.querySelector("[data-qq-check-all]");
    if (head) {
      head.checked = ticked === all.length && all.length > 0;
      head.indeterminate = ticked > 0 && ticked < all.length;
    }
    var count = group.querySelector("[data-qq-ticked-count]") || (single ? document.querySelector("[data-qq-ticked-count]") : null);
    if (count) count.textContent = String(ticked);
  }

  function start() {
    var links = document.querySelectorAll(".qq-noscript-only");
    for (var l = 0; l < links.length; l++) links[l].hidden = true;
    var groups = document.querySelectorAll("[data-qq-check-group]");
    var single = groups.length === 1;
    for (var g = 0; g < groups.length; g++) {
      (function (group) {
        group.addEventListener("change", function (event) {
          if (event.target.matches("[data-qq-check-all]")) {
            var all = items(group);
            for (var i = 0; i < all.length; i++) all[i].checked = event.target.checked;
          }
          update(group, single);
        });
        update(group, single);
      })(groups[g]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
