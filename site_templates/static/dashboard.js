// The dashboard's charts: drawn with Chart.js from the JSON block the page carries (the tables hold the same rows).
"use strict";

(function () {
  const source = document.getElementById("chart-data");
  if (!source || typeof Chart === "undefined") return;
  const specs = JSON.parse(source.textContent);
  const dark = window.matchMedia("(prefers-color-scheme: dark)");
  let drawn = [];

  function palette() {
    const css = getComputedStyle(document.documentElement);
    const get = (name) => css.getPropertyValue(name).trim();
    return { main: get("--chart-1"), line: get("--chart-2"), text: get("--chart-text"), grid: get("--chart-grid") };
  }

  function wrap(text, width = 24) {
    const lines = [];
    let line = "";
    for (const word of text.split(/\s+/)) {
      if (line && (line + " " + word).length > width) {
        lines.push(line);
        line = word;
      } else {
        line = line ? `${line} ${word}` : word;
      }
    }
    if (line) lines.push(line);
    return lines.length > 1 ? lines : text;
  }

  function config(spec, colours) {
    const horizontal = spec.kind === "hbar";
    // Long names wrap onto several lines instead of being cut at the canvas' edge.
    const labels = spec.rows.map((row) => (horizontal ? wrap(String(row[0])) : String(row[0])));
    const values = spec.rows.map((row) => row[1]);
    const line = spec.kind === "line";
    const axis = { ticks: { color: colours.text }, grid: { color: colours.grid } };
    return {
      type: line ? "line" : "bar",
      data: {
        labels,
        datasets: [{
          label: spec.value_label,
          data: values,
          backgroundColor: line ? colours.line : colours.main,
          borderColor: line ? colours.line : colours.main,
          borderWidth: line ? 2 : 0,
          pointRadius: 0,
          fill: false,
        }],
      },
      options: {
        indexAxis: horizontal ? "y" : "x",
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "index", intersect: false },
        plugins: { legend: { display: false }, tooltip: { intersect: false, mode: "index" } },
        // A bar or point opens the list filtered to exactly its records (the table holds the same links).
        onClick: (event, elements) => {
          const link = elements.length ? spec.links[elements[0].index] : null;
          if (link) window.location.href = link;
        },
        onHover: (event, elements) => {
          event.native.target.style.cursor = elements.length && spec.links.length ? "pointer" : "default";
        },
        scales: {
          // Counts are whole numbers: no 2.5 items on an axis.
          x: { ...axis, ticks: { ...axis.ticks, autoSkip: true, maxRotation: 0, ...(horizontal ? { precision: 0 } : {}) },
               beginAtZero: horizontal },
          y: { ...axis, beginAtZero: !horizontal,
               ticks: { ...axis.ticks, autoSkip: !horizontal, ...(horizontal ? {} : { precision: 0 }) } },
        },
      },
    };
  }

  function draw() {
    drawn.forEach((chart) => chart.destroy());
    const colours = palette();
    drawn = specs.map((spec) => {
      const canvas = document.querySelector(`canvas[data-chart="${spec.id}"]`);
      if (!canvas) return null;
      if (spec.kind === "hbar") {
        // Room for every bar: a ranked list is read line by line.
        canvas.parentElement.style.height = `${Math.max(8, spec.rows.length * 1.75 + 3)}rem`;
      }
      return new Chart(canvas, config(spec, colours));
    }).filter(Boolean);
    document.documentElement.dataset.chartsDrawn = String(drawn.length);
  }

  // Years and decades by the original release or by this pressing: one pair of charts shown at a time,
  // the choice in the address (?years=pressing) so a shared dashboard shows the same.
  const modes = document.getElementById("year-mode");
  function showYears(mode) {
    for (const figure of document.querySelectorAll("figure[data-years]")) {
      figure.hidden = figure.dataset.years !== (mode || "original");
    }
    if (modes) {
      for (const button of modes.querySelectorAll("button")) {
        button.setAttribute("aria-pressed", String(button.dataset.years === mode));
      }
    }
  }
  if (modes) {
    modes.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-years]");
      if (!button) return;
      const url = new URL(window.location.href);
      if (button.dataset.years) url.searchParams.set("years", button.dataset.years);
      else url.searchParams.delete("years");
      window.history.replaceState(null, "", url);
      showYears(button.dataset.years);
    });
  }
  showYears(new URLSearchParams(window.location.search).get("years") === "pressing" ? "pressing" : "");

  performance.mark("charts-start");
  draw();
  performance.measure("charts", "charts-start");  // read by the browser benchmark
  dark.addEventListener("change", draw);
})();
