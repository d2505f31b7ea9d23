// Wide tables and charts scroll sideways in their own box on narrow screens. A box that
// actually scrolls becomes a named, focusable region, so that it can be scrolled with the
// keyboard; one that fits stays out of the tab order. Rechecked when the window is resized,
// an image loads or a chart is redrawn ("site-gen:layout").
(function () {
  "use strict";
  var SELECTOR = ".table-scroll, .chart-view";

  function label(box) {
    var caption = box.querySelector("caption");
    var figure = box.closest("figure");
    var figcaption = figure ? figure.querySelector("figcaption") : null;
    if (caption) {
      return caption.textContent.trim() + " (table, scrolls sideways)";
    }
    if (figcaption) {
      var what = box.classList.contains("chart-view") ? "chart" : "data table";
      return figcaption.textContent.trim() + " (" + what + ", scrolls sideways)";
    }
    return "Table, scrolls sideways";
  }

  function check() {
    var boxes = document.querySelectorAll(SELECTOR);
    for (var i = 0; i < boxes.length; i += 1) {
      var box = boxes[i];
      if (box.scrollWidth > box.clientWidth + 1) {
        if (!box.hasAttribute("tabindex")) {
          box.setAttribute("tabindex", "0");
          box.setAttribute("role", "region");
          box.setAttribute("aria-label", label(box));
        }
      } else if (box.getAttribute("tabindex") === "0") {
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
        box.removeAttribute("aria-label");
      }
    }
  }

  var pending = null;
  function later() {
    if (pending === null) {
      pending = window.requestAnimationFrame(function () {
        pending = null;
        check();
      });
    }
  }

  window.addEventListener("resize", later);
  document.addEventListener("load", later, true); // images, in the capture phase
  document.addEventListener("toggle", later, true); // a <details> opened
  document.addEventListener("site-gen:layout", check);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", check);
  } else {
    check();
  }
})();
