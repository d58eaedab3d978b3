/* 人员交接: the header checkbox ticks or clears every project of the table, and the count follows.
 * Without this file the 全选 / 全不选 links do the same by reloading the page. */
(function () {
  "use strict";

  function boxes(group) {
    return group.querySelectorAll("tbody input[type=checkbox]");
  }

  function update(group) {
    var all = boxes(group);
    var ticked = 0;
    for (var i = 0; i < all.length; i++) if (all[i].checked) ticked++;
    var head = group.querySelector("[data-qq-check-all]");
    if (head) {
      head.checked = ticked === all.length && all.length > 0;
      head.indeterminate = ticked > 0 && ticked < all.length;
    }
    var count = document.querySelector("[data-qq-ticked-count]");
    if (count) count.textContent = String(ticked);
  }

  function start() {
    var groups = document.querySelectorAll("[data-qq-check-group]");
    for (var g = 0; g < groups.length; g++) {
      (function (group) {
        group.addEventListener("change", function (event) {
          if (event.target.matches("[data-qq-check-all]")) {
            var all = boxes(group);
            for (var i = 0; i < all.length; i++) all[i].checked = event.target.checked;
          }
          update(group);
        });
        update(group);
      })(groups[g]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
