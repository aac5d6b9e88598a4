// Initialise the design system's components once; loaded as a file because CSP forbids inline scripts.
document.addEventListener("DOMContentLoaded", function () {
  if (window.DKFDS && typeof window.DKFDS.init === "function") {
    window.DKFDS.init();
  }
});

// The fragments htmx swaps in use no design-system component that needs JavaScript, and
// DKFDS.init() sets up the header's navigation again on every call (one more "Mere" menu
// button each time), so it is not called after a swap.

// After a swap the user asked for (a click or a form submit, not the progress polling),
// focus moves into the new content, so keyboard and screen-reader users go on where the
// change happened: to the first field in error, else to the first field of a form that
// appeared, else to the changed region itself.
var FIRST_ERROR =
  '[aria-invalid="true"], .form-error input, .form-error textarea, .form-error select, ' +
  '.error-summary, .alert-error';
var FIRST_FIELD =
  'input:not([type="hidden"]):not([disabled]), textarea:not([disabled]), select:not([disabled])';

document.addEventListener("htmx:afterSettle", function (event) {
  var detail = event.detail || {};
  var trigger = (detail.requestConfig || {}).triggeringEvent;
  if (!trigger || (trigger.type !== "submit" && trigger.type !== "click")) {
    return;
  }
  var region = detail.target;
  if (region && !document.body.contains(region) && region.id) {
    // An outerHTML swap replaced the target; the new element has its id.
    region = document.getElementById(region.id);
  }
  if (!region) {
    return;
  }
  var focus = region.querySelector(FIRST_ERROR) || region.querySelector(FIRST_FIELD);
  if (!focus) {
    focus = region;
    if (!focus.hasAttribute("tabindex")) {
      focus.setAttribute("tabindex", "-1");
    }
  }
  if (!focus.matches("input, textarea, select, button, a[href]") && !focus.hasAttribute("tabindex")) {
    focus.setAttribute("tabindex", "-1");
  }
  focus.focus();
});
