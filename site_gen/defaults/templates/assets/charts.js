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

  // Tells scroll.js that a chart changed size (it makes wide charts keyboard-scrollable).
  function layout() {
    document.dispatchEvent(new CustomEvent("site-gen:layout"));
  }

  // On a narrow screen, a chart drawn at its full width would be scaled down to unreadable
  // text; redraw it narrower instead: the plot fits the screen, the claimant key or the
  // legend goes under it, bars keep their share of the width and the subtitle is rewrapped.
  // Maps keep their size (their labels are placed for it) and scroll sideways.
  var AXIS_ROOM = 90; // the y axis, its title and the padding around the plot
  var SUBTITLE_CHAR = 5.6; // about the width of one character of the 11 px subtitle

  function rewrap(lines, width) {
    var most = Math.max(20, Math.floor(width / SUBTITLE_CHAR));
    var out = [];
    lines.join(" ").split(" ").forEach(function (word) {
      var last = out.length - 1;
      if (last >= 0 && out[last].length + 1 + word.length <= most) {
        out[last] += " " + word;
      } else {
        out.push(word);
      }
    });
    return out;
  }

  function narrow(spec, available) {
    var plot = spec.hconcat ? spec.hconcat[0] : spec;
    var width = Math.round(available - AXIS_ROOM);
    if (typeof plot.width !== "number" || plot.projection || spec.vconcat ||
        width >= plot.width || width < 160) {
      return spec;
    }
    var copy = JSON.parse(JSON.stringify(spec));
    plot = copy.hconcat ? copy.hconcat[0] : copy;
    if (plot.mark && typeof plot.mark.width === "number") {
      plot.mark.width = Math.max(1, Math.round(plot.mark.width * width / plot.width * 100) / 100);
    }
    plot.width = width;
    if (copy.hconcat) {
      copy.vconcat = copy.hconcat;
      delete copy.hconcat;
    } else if (copy.config) {
      copy.config.legend = Object.assign({}, copy.config.legend, { orient: "bottom", columns: 2 });
    }
    if (copy.title && Array.isArray(copy.title.subtitle)) {
      copy.title.subtitle = rewrap(copy.title.subtitle, available - 10);
    }
    return copy;
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
        spec = narrow(spec, holder.clientWidth);
        return window.vegaEmbed(view, spec, { actions: false, renderer: "svg" }).then(
          function () {
            var image = holder.querySelector("img");
            view.hidden = false;
            if (image) {
              image.remove();
            }
            holder.setAttribute("data-vl-state", "drawn");
            layout();
          },
          function (error) {
            view.remove();
            throw error;
          }
        );
      })
      .catch(function (error) {
        holder.setAttribute("data-vl-state", "image");
        layout();
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
