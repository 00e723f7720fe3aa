// The network view: reads the graph JSON of this network (already sampled on the server above a size) and draws it
// with Cytoscape.js; clicking a link loads its evidence into #evidence through HTMX. Labels are drawn on a canvas
// as text, never parsed as HTML.
"use strict";
(function () {
  function start() {
    var box = document.getElementById("cy");
    var note = document.getElementById("graph-note");
    if (!box || typeof cytoscape !== "function") {
      return;
    }
    fetch(box.dataset.graphUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        if (!r.ok) {
          throw new Error("graph request answered " + r.status);
        }
        return r.json();
      })
      .then(function (g) {
        var shown = g.nodes.length + " of " + g.members + " accounts and " + g.edges.length + " of " + g.links + " links";
        note.textContent = g.sampled
          ? "Sampled: showing the " + shown + " (the members with the strongest links)."
          : "Showing all " + shown + ".";
        var maxW = 0;
        g.edges.forEach(function (e) { maxW = Math.max(maxW, e.weight); });
        var elements = [];
        g.nodes.forEach(function (n) {
          elements.push({ data: { id: n.id, label: String(n.label).replace(/[\u202A-\u202E\u2066-\u2069]/g, "").slice(0, 40), joined: n.joined_by, score: n.score } });
        });
        g.edges.forEach(function (e, i) {
          elements.push({ data: { id: "e" + i, source: e.source, target: e.target, w: maxW ? e.weight / maxW : 1, detectors: e.detectors } });
        });
        var cy = cytoscape({
          container: box,
          elements: elements,
          layout: { name: g.nodes.length > 150 ? "grid" : "cose", animate: false, randomize: false },
          style: [
            { selector: "node", style: { "background-color": "#2f6fb0", label: "data(label)", "font-size": 8, color: "#1f2933", width: 10, height: 10 } },
            { selector: "node[joined = 'grow']", style: { "background-color": "#d9480f" } },
            { selector: "node[joined = 'attach']", style: { "background-color": "#2b8a3e" } },
            { selector: "edge", style: { width: "mapData(w, 0, 1, 0.5, 5)", "line-color": "#9aa5b1", opacity: 0.7 } },
            { selector: "edge:selected", style: { "line-color": "#c2255c", opacity: 1 } }
          ]
        });
        cy.on("tap", "edge", function (evt) {
          var d = evt.target.data();
          var url = box.dataset.linkUrl + "?a=" + encodeURIComponent(d.source) + "&b=" + encodeURIComponent(d.target);
          htmx.ajax("GET", url, { target: "#evidence" });
        });
        box.dataset.ready = "1";
      })
      .catch(function (err) {
        note.textContent = "The graph could not be drawn: " + err.message;
      });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
