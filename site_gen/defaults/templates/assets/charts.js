// Charts: redraw each static chart image with vega-embed when JavaScript runs.
// Markup: <div class="chart-view" data-vl-spec="charts/ID.vl.json"><img src="charts/ID.svg" alt="…"></div>
// The spec URL is relative to the page. Without JavaScript, or if anything fails, the SVG image
// stays. Needs assets/vega/vega-bundle.js loaded first (it sets window.vegaEmbed).
(function () {
  "use strict";

  function warn(message, error) {
    if (window.console && console.warn) {
      console.warn("site-gen charts: " + message, error);
    }
  }

  function draw(holder) {
    var url = holder.getAttribute("data-vl-spec");
    if (!url || holder.getAttribute("data-vl-state")) {
      return;
    }
    if (typeof window.vegaEmbed !== "function") {
      warn("vega-embed is not loaded; showing the image", null);
      return;
    }
    holder.setAttribute("data-vl-state", "loading");
    fetch(url, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(url + ": HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (spec) {
        var view = document.createElement("div");
        view.className = "chart-interactive";
        view.hidden = true;
        holder.appendChild(view);
        return window.vegaEmbed(view, spec, { actions: false, renderer: "svg" }).then(
          function () {
            var image = holder.querySelector("img");
            view.hidden = false;
            if (image) {
              image.remove();
            }
            holder.setAttribute("data-vl-state", "drawn");
          },
          function (error) {
            view.remove();
            throw error;
          }
        );
      })
      .catch(function (error) {
        holder.setAttribute("data-vl-state", "image");
        warn("could not draw " + url + "; showing the image", error);
      });
  }

  function drawAll() {
    if (window.location.protocol === "file:") {
      return; // browsers refuse fetch() on file:// pages; the SVG images stay
    }
    var holders = document.querySelectorAll("[data-vl-spec]");
    for (var i = 0; i < holders.length; i += 1) {
      draw(holders[i]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
