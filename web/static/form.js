// Enhances the feedback form; the form works without it. Loaded from /static/ only
// (the pages' Content-Security-Policy allows no inline script).
(function () {
  "use strict";
  document.documentElement.classList.add("js");
})();
