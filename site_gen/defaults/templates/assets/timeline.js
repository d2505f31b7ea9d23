// Timeline filters: the page lists every event without JavaScript; this shows the checkbox
// form and hides the events (and empty dates) whose type or status is unticked.
(function () {
  "use strict";
  var form = document.getElementById("timeline-filter");
  var timeline = document.getElementById("timeline");
  if (!form || !timeline) {
    return;
  }
  var count = form.querySelector(".filter-count");
  function ticked(name) {
    var values = {};
    form.querySelectorAll('input[name="' + name + '"]').forEach(function (box) {
      if (box.checked) {
        values[box.value] = true;
      }
    });
    return values;
  }
  function apply() {
    var types = ticked("type");
    var statuses = ticked("status");
    var shown = 0;
    timeline.querySelectorAll(".timeline-day").forEach(function (day) {
      var visible = 0;
      day.querySelectorAll(".event-item").forEach(function (item) {
        var show = types[item.dataset.type] === true && statuses[item.dataset.status] === true;
        item.hidden = !show;
        if (show) {
          visible += 1;
        }
      });
      day.hidden = visible === 0;
      shown += visible;
    });
    if (count) {
      count.textContent = shown + (shown === 1 ? " event shown" : " events shown");
    }
  }
  form.hidden = false;
  form.addEventListener("change", apply);
  apply();
})();
