/* A model page's three charts, drawn with the vendored Chart.js from the page's inline JSON
   (#chart-data, written by catalog/site/charts.py). Each chart has a table alternative in the page. */
(function () {
  "use strict";
  var island = document.getElementById("chart-data");
  if (!island || typeof Chart === "undefined") return;
  var data = JSON.parse(island.textContent);
  var VERDICT = { runs_great: "#1b7f3b", decent: "#c77c02" };
  var LINE = "#57606a";
  var DASHES = [[8, 4], [2, 3], [12, 3, 2, 3], [4, 8]];     // one per device line, told apart in print too

  Chart.defaults.animation = false;           // drawn at once: printing, screenshots, tests
  Chart.defaults.font.family = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
  Chart.defaults.maintainAspectRatio = false;

  function colour(i, n) {                      // evenly spaced hues, dark enough on white
    return "hsl(" + Math.round((i * 360) / Math.max(n, 1)) + ", 65%, 42%)";
  }

  function short(v) {
    var M = 1048576, K = 1024;
    if (v >= M && v % M === 0) return v / M + "M";
    if (v >= K && v % K === 0) return v / K + "K";
    return String(v);
  }

  function clip(text, chart) {                // long device names on a phone-wide chart
    var max = chart.width < 520 ? 24 : 60;
    return text.length > max ? text.slice(0, max - 1) + "…" : text;
  }

  function clippedLegend(chart) {
    return Chart.defaults.plugins.legend.labels.generateLabels(chart).map(function (item) {
      item.text = clip(item.text, chart);
      return item;
    });
  }

  function memoryChart(canvas, m) {
    var n = m.quants.length, first = m.contexts[0], last = m.contexts[m.contexts.length - 1];
    var sets = m.quants.map(function (q, i) {
      return {
        label: q.quant + (q.recommended ? " ★" : ""),
        data: m.contexts.map(function (c, j) { return { x: c, y: q.vram_gb[j] }; }),
        borderColor: colour(i, n), backgroundColor: colour(i, n),
        borderWidth: q.recommended ? 3 : 1.5, pointRadius: q.recommended ? 3 : 1.5, fill: false
      };
    });
    m.devices.forEach(function (d, i) {
      sets.push({
        label: d.name + " (" + d.usable_gb.toFixed(1) + " GB usable)",
        data: [{ x: first, y: d.usable_gb }, { x: last, y: d.usable_gb }],
        borderColor: LINE, backgroundColor: LINE, borderDash: DASHES[i % DASHES.length], borderWidth: 1.5,
        pointRadius: 0, pointStyle: "line"
      });
    });
    return new Chart(canvas, {
      type: "line",
      data: { datasets: sets },
      options: {
        scales: {
          x: {
            type: "logarithmic", min: first, max: last,
            title: { display: true, text: "Context length (tokens, log scale)" },
            afterBuildTicks: function (axis) { axis.ticks = m.contexts.map(function (c) { return { value: c }; }); },
            ticks: { callback: function (v) { return short(v); }, autoSkip: true, maxRotation: 0 }
          },
          y: { title: { display: true, text: "Memory (GB)" } }
        },
        plugins: {
          legend: { position: "bottom", labels: { boxWidth: 14, generateLabels: clippedLegend } },
          tooltip: { callbacks: { label: function (c) { return c.dataset.label + ": " + c.parsed.y.toFixed(1) + " GB"; } } }
        }
      }
    });
  }

  function speedChart(canvas, s) {
    canvas.parentNode.style.height = Math.max(160, 24 * s.devices.length + 70) + "px";
    return new Chart(canvas, {
      type: "bar",
      data: {
        labels: s.devices.map(function (d) { return d.name; }),
        datasets: [{
          label: "Decode speed at " + s.quant + " (tok/s)",
          data: s.devices.map(function (d) { return d.decode_tok_s; }),
          backgroundColor: s.devices.map(function (d) { return VERDICT[d.verdict] || LINE; })
        }]
      },
      options: {
        indexAxis: "y",
        scales: { x: { beginAtZero: true, title: { display: true, text: "tok/s (green: runs great, amber: decent fit)" } },
                  y: { ticks: { autoSkip: false,
                                callback: function (v) { return clip(this.getLabelForValue(v), this.chart); } } } },
        plugins: { legend: { display: false } }
      }
    });
  }

  function quantChart(canvas, q) {
    var sets = [{
      type: "bar", label: "Memory needed (GB)", data: q.vram_gb, yAxisID: "y", order: 2,
      backgroundColor: q.quants.map(function (name) { return name === q.recommended ? "#0b5cad" : "#8fb3d9"; })
    }];
    if (q.band) {
      sets.push({ type: "bar", label: "Error band, p10–p90 (GB)", data: q.band, yAxisID: "y", order: 3,
                  backgroundColor: "rgba(87, 96, 106, 0.25)", grouped: false });
    }
    sets.push({ type: "line", label: "Bits per weight", data: q.bits_per_weight, yAxisID: "y1", order: 1,
                borderColor: "#b3261e", backgroundColor: "#b3261e", pointRadius: 3 });
    return new Chart(canvas, {
      data: { labels: q.quants, datasets: sets },
      options: {
        scales: {
          y: { beginAtZero: true, position: "left", title: { display: true, text: "Memory needed (GB)" } },
          y1: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false },
                title: { display: true, text: "Bits per weight" } }
        },
        plugins: { legend: { position: "bottom", labels: { boxWidth: 14 } } }
      }
    });
  }

  var draw = { "chart-memory": [memoryChart, data.memory], "chart-speed": [speedChart, data.speed],
               "chart-quants": [quantChart, data.quants] };
  Object.keys(draw).forEach(function (id) {
    var canvas = document.getElementById(id);
    if (canvas) draw[id][0](canvas, draw[id][1]);
  });
})();
