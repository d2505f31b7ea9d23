// Search page: start Pagefind's default UI. The bundle and result links are resolved from
// the page's own address, so search works wherever the site is published.
(function () {
  "use strict";
  var element = document.getElementById("search");
  if (!element || typeof PagefindUI === "undefined") {
    return;
  }
  var root = new URL(element.dataset.root || "./", window.location.href).pathname;
  new PagefindUI({
    element: "#search",
    bundlePath: root + "pagefind/",
    baseUrl: root,
    showSubResults: true,
    showImages: false,
    resetStyles: false
  });
})();
