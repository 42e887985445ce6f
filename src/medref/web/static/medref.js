// medref: small progressive enhancements; every page works without this file.
// A citation marker [n] opens its evidence panel in place (without JavaScript the link's
// #fragment shows the panel through CSS :target, which also scrolls the page to it).
(function () {
  "use strict";
  function toggle(marker, panel, open) {
    panel.hidden = !open;
    panel.classList.toggle("open", open);
    marker.setAttribute("aria-expanded", open ? "true" : "false");
  }
  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!(target instanceof Element)) { return; }
    var marker = target.closest("a.cite[aria-controls]");
    if (marker) {
      var panel = document.getElementById(marker.getAttribute("aria-controls"));
      if (!panel) { return; }
      event.preventDefault();
      toggle(marker, panel, panel.hidden);
      return;
    }
    var close = target.closest(".evidence a.ev-close");
    if (close) {
      var box = close.closest(".evidence");
      var opener = box && document.querySelector('a.cite[aria-controls="' + box.id + '"]');
      if (box && opener) {
        event.preventDefault();
        toggle(opener, box, false);
        opener.focus();
      }
    }
  });
})();
