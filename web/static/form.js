// Enhances the feedback form; the form works without it. Served from /static/ (the
// pages' Content-Security-Policy allows no inline script).
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // The live character count under the description. The element is aria-live, so
  // it is announced; it is updated after a pause in typing, not on every key.
  var description = document.getElementById("description");
  var count = document.getElementById("description-count");
  if (description && count) {
    var template = count.getAttribute("data-template");
    var max = description.getAttribute("maxlength");
    var timer = null;
    var update = function () {
      // Count characters as the server does (code points, not UTF-16 units).
      var length = Array.from(description.value).length;
      count.textContent = template.replace("{count}", String(length)).replace("{max}", max);
    };
    description.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(update, 400);
    });
  }

  // "Use my location": the browser's Geolocation API fills the hidden coordinates.
  var button = document.getElementById("use-location");
  var latitude = document.getElementById("latitude");
  var longitude = document.getElementById("longitude");
  var status = document.getElementById("location-status");
  if (button && latitude && longitude && status) {
    button.addEventListener("click", function () {
      if (!("geolocation" in navigator)) {
        status.textContent = button.getAttribute("data-unavailable");
        return;
      }
      status.textContent = button.getAttribute("data-locating");
      navigator.geolocation.getCurrentPosition(
        function (position) {
          latitude.value = position.coords.latitude.toFixed(6);
          longitude.value = position.coords.longitude.toFixed(6);
          status.textContent = button.getAttribute("data-found");
        },
        function () {
          latitude.value = "";
          longitude.value = "";
          status.textContent = button.getAttribute("data-failed");
        },
        { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
      );
    });
  }

  // A category's notice and questions, shown when it is chosen (without JavaScript
  // every category's questions show, and only the chosen one's answers are kept).
  var category = document.getElementById("category");
  var guided = document.querySelectorAll(".category-notice, .category-questions");
  if (category && guided.length > 0) {
    var showGuidance = function () {
      for (var i = 0; i < guided.length; i++) {
        guided[i].hidden = guided[i].getAttribute("data-category") !== category.value;
      }
    };
    category.addEventListener("change", showGuidance);
    showGuidance();
  }
})();
