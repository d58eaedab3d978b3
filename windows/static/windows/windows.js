/* 亲清帮办 windows pages: progressive enhancement only; every form works without this file.
 *
 * 1. Checkbox lists marked data-qq-filter (meeting units, projects, problems): a filter box above the list
 *    hides the entries whose text does not contain what is typed; ticked entries always stay visible, and
 *    "已选 N 项" follows the ticks. No Ctrl-click multi-select boxes.
 * 2. The problem form: choosing a matter (select[data-qq-fills]) fills the owner unit and the stage from
 *    the matter's data-unit / data-stage (the server does the same when the unit is left empty).
 *
 * Loaded by the pages that need it as a static file (the CSP allows no inline script).
 */
(function () {
  "use strict";

  function enhanceList(list, placeholder) {
    if (list.dataset.qqFiltered) return;
    list.dataset.qqFiltered = "1";
    var rows = Array.prototype.slice.call(list.children);
    var bar = document.createElement("div");
    bar.className = "d-flex align-items-center gap-2 mb-1";
    var box = document.createElement("input");
    box.type = "search";
    box.className = "form-control form-control-sm";
    box.placeholder = placeholder;
    box.setAttribute("aria-label", placeholder);
    box.setAttribute("aria-controls", list.id);
    var count = document.createElement("span");
    count.className = "small text-secondary text-nowrap";
    count.setAttribute("aria-live", "polite");
    bar.appendChild(box);
    bar.appendChild(count);
    list.parentNode.insertBefore(bar, list);

    function update() {
      var text = box.value.trim().toLowerCase();
      var ticked = 0;
      rows.forEach(function (row) {
        var input = row.querySelector("input[type=checkbox]");
        var checked = input && input.checked;
        if (checked) ticked += 1;
        row.hidden = !!text && !checked && row.textContent.toLowerCase().indexOf(text) === -1;
      });
      count.textContent = "已选 " + ticked + " 项";
    }
    box.addEventListener("input", update);
    box.addEventListener("keydown", function (event) {
      if (event.key === "Enter") event.preventDefault(); // filtering, not submitting
    });
    list.addEventListener("change", update);
    update();
  }

  function enhanceFilters(root) {
    var inputs = root.querySelectorAll("input[type=checkbox][data-qq-filter]");
    for (var i = 0; i < inputs.length; i++) {
      var list = inputs[i].closest("div[id]");
      if (list) enhanceList(list, inputs[i].dataset.qqFilter);
    }
  }

  function enhanceFills(root) {
    var selects = root.querySelectorAll("select[data-qq-fills]");
    for (var i = 0; i < selects.length; i++) {
      selects[i].addEventListener("change", function (event) {
        var option = event.target.selectedOptions[0];
        if (!option || !option.dataset.unit) return;
        var form = event.target.form;
        var unit = form.querySelector("select[name=owner_unit]");
        var stage = form.querySelector("select[name=stage]");
        if (unit) unit.value = option.dataset.unit;
        if (stage && option.dataset.stage) stage.value = option.dataset.stage;
      });
    }
  }

  function start() {
    enhanceFilters(document);
    enhanceFills(document);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
