/* 亲清帮办 forms: progressive enhancement only; every form works without this file.
 *
 * 1. After a submission with errors, focus and scroll to the first invalid field (.is-invalid), or to the
 *    form's error summary when the errors belong to no field.
 * 2. Matter pickers ([data-qq-picker]): the ticked matters stay visible as a list under "已选 N 项", and each
 *    stage shows how many of its matters are ticked; both follow the ticks as the user clicks.
 * 3. Dependent fields ([data-qq-show-when="to_status=已受理;mode=容缺受理"]): a field's group is shown only while
 *    every named field of its form has the given value (e.g. the 容缺 materials only when accepting 容缺).
 *    Without this file every field shows, and the server ignores the ones the move does not use.
 *
 * Loaded from templates/base.html as a static file (the CSP allows no inline script).
 */
(function () {
  "use strict";

  var FOCUSABLE = "input:not([type=hidden]):not([disabled]), select:not([disabled]), textarea:not([disabled]), summary, button:not([disabled])";

  function visible(el) {
    return !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length);
  }

  function firstFocusable(el) {
    if (el.matches(FOCUSABLE) && visible(el)) return el;
    var candidates = el.querySelectorAll(FOCUSABLE);
    for (var i = 0; i < candidates.length; i++) {
      if (visible(candidates[i])) return candidates[i];
    }
    return null;
  }

  function revealAndFocus(el) {
    // a field inside a closed <details> (a stage of the matter picker) is opened first
    var details = el.closest("details");
    if (details && !details.open && el.tagName !== "SUMMARY") details.open = true;
    el.scrollIntoView({ block: "center" });
    el.focus({ preventScroll: true });
  }

  function focusFirstError(root) {
    var invalid = root.querySelectorAll(".is-invalid");
    for (var i = 0; i < invalid.length; i++) {
      var target = firstFocusable(invalid[i]);
      if (!target && invalid[i].closest("details")) {
        target = invalid[i].matches(FOCUSABLE) ? invalid[i] : invalid[i].querySelector(FOCUSABLE);
      }
      if (target) {
        revealAndFocus(target);
        return true;
      }
    }
    var summary = root.querySelector(".qq-error-summary, form .alert-danger[role=alert]");
    if (summary) {
      if (!summary.hasAttribute("tabindex")) summary.setAttribute("tabindex", "-1");
      revealAndFocus(summary);
      return true;
    }
    return false;
  }

  function updatePicker(picker) {
    var boxes = picker.querySelectorAll("input[type=checkbox][data-qq-name]");
    var list = picker.querySelector("[data-qq-picked-list]");
    var count = picker.querySelector("[data-qq-picked-count]");
    var ticked = [];
    for (var i = 0; i < boxes.length; i++) {
      if (boxes[i].checked) ticked.push(boxes[i]);
    }
    if (count) count.textContent = String(ticked.length);
    var summary = picker.querySelector("[data-qq-picked]");
    if (summary) summary.classList.toggle("qq-picked-none", ticked.length === 0);
    if (list) {
      list.textContent = "";
      ticked.forEach(function (box) {
        var item = document.createElement("li");
        var chip = document.createElement("button");
        chip.type = "button";
        chip.className = "btn btn-sm btn-outline-secondary qq-chip";
        chip.setAttribute("aria-label", "取消选择 " + box.dataset.qqName);
        chip.textContent = box.dataset.qqName + " ×";
        chip.addEventListener("click", function () {
          box.checked = false;
          box.dispatchEvent(new Event("change", { bubbles: true }));
          box.focus();
        });
        item.appendChild(chip);
        list.appendChild(item);
      });
    }
    var groups = picker.querySelectorAll("[data-qq-stage]");
    for (var g = 0; g < groups.length; g++) {
      var n = groups[g].querySelectorAll("input[type=checkbox][data-qq-name]:checked").length;
      var label = groups[g].querySelector("[data-qq-stage-count]");
      if (label) label.textContent = n ? "，已选 " + n + " 项" : "";
    }
  }

  function enhancePickers(root) {
    var pickers = root.querySelectorAll("[data-qq-picker]");
    for (var i = 0; i < pickers.length; i++) {
      var picker = pickers[i];
      if (picker.dataset.qqEnhanced) continue;
      picker.dataset.qqEnhanced = "1";
      picker.addEventListener("change", function (event) {
        if (event.target.matches("input[type=checkbox][data-qq-name]")) updatePicker(event.currentTarget);
      });
      updatePicker(picker);
    }
  }

  function fieldValue(form, name) {
    var inputs = form.querySelectorAll("[name='" + name + "']");
    for (var i = 0; i < inputs.length; i++) {
      var input = inputs[i];
      if ((input.type === "radio" || input.type === "checkbox") && !input.checked) continue;
      return input.value;
    }
    return "";
  }

  function updateDependents(form) {
    var dependents = form.querySelectorAll("[data-qq-show-when]");
    for (var i = 0; i < dependents.length; i++) {
      var group = dependents[i].closest(".qq-field") || dependents[i];
      var show = dependents[i].dataset.qqShowWhen.split(";").every(function (rule) {
        var parts = rule.split("=");
        return fieldValue(form, parts[0]) === parts[1];
      });
      group.hidden = !show;
    }
  }

  function enhanceDependents(root) {
    var forms = root.querySelectorAll("form");
    for (var i = 0; i < forms.length; i++) {
      var form = forms[i];
      if (form.dataset.qqDependents || !form.querySelector("[data-qq-show-when]")) continue;
      form.dataset.qqDependents = "1";
      form.addEventListener("change", function (event) {
        updateDependents(event.currentTarget);
      });
      updateDependents(form);
    }
  }

  function start() {
    enhancePickers(document);
    enhanceDependents(document);
    focusFirstError(document);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
  // content swapped in by htmx (a form re-rendered with its errors) gets the same treatment
  document.addEventListener("htmx:load", function (event) {
    var el = event.target;
    if (!(el instanceof Element)) return;
    enhancePickers(el);
    enhanceDependents(el);
    if (el.querySelector(".is-invalid, .qq-error-summary")) focusFirstError(el);
  });
})();
