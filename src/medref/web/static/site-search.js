// medref static site: search the reviewed pages in the browser (search.html of `medref publish`).
// Reads search-index.json (title, url, key entities, first sentence of each page); every word
// typed must appear in a page's text. Nothing is sent anywhere; results are built as text nodes.
(function () {
  "use strict";
  var box = document.getElementById("site-q");
  var list = document.getElementById("site-results");
  var status = document.getElementById("site-status");
  if (!box || !list) { return; }
  var pages = [];
  function words(text) {
    return (text || "").toLowerCase().split(/[^0-9a-z\u00c0-\u024f]+/).filter(Boolean);
  }
  function show() {
    var wanted = words(box.value);
    list.textContent = "";
    if (!wanted.length) { status.textContent = ""; return; }
    var found = pages.filter(function (p) {
      return wanted.every(function (w) { return p.text.indexOf(w) !== -1; });
    }).slice(0, 50);
    found.forEach(function (p) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = p.url;
      a.textContent = p.title;
      li.appendChild(a);
      if (p.first) {
        var s = document.createElement("p");
        s.className = "muted";
        s.textContent = p.first;
        li.appendChild(s);
      }
      list.appendChild(li);
    });
    status.textContent = found.length ? found.length + " page(s)" : "No reviewed page matches.";
  }
  fetch("search-index.json").then(function (r) { return r.json(); }).then(function (data) {
    pages = (data.pages || []).map(function (p) {
      var text = [p.title, (p.key_entities || []).join(" "), p.first_sentence].join(" ");
      return { title: p.title, url: p.url, first: p.first_sentence, text: words(text).join(" ") };
    });
    box.addEventListener("input", show);
    show();
  }).catch(function () {
    status.textContent = "The search index could not be loaded (open this site through a web server).";
  });
})();
