// The dashboard's charts, drawn with the vendored Chart.js from the numbers the page embeds
// with json_script (#dashboard-data). No inline script: a Content Security Policy without
// 'unsafe-inline' allows this file. Each chart has a table of the same numbers beside it.
(function () {
  "use strict";
  var source = document.getElementById("dashboard-data");
  if (!source || typeof window.Chart === "undefined") {
    return; // the tables still hold every number
  }
  var data = JSON.parse(source.textContent);
  var BLUE = "#0a58ca";
  var TEAL = "#0f766e";
  var AMBER = "#b45309";
  var RED = "#b02a37";

  // No animation: the charts are read, not watched, and print the same as they show.
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.font.size = 14;
  // Labels and grid lines in the page's own colours, light or low glare (theme.js), as drawn.
  var page = window.getComputedStyle(document.body);
  Chart.defaults.color = page.color;
  Chart.defaults.borderColor = page.getPropertyValue("--bs-border-color").trim() || "#dee2e6";

  // Long labels (procedure titles) break over lines rather than slant across the chart.
  function lines(label) {
    var words = String(label).split(" ");
    var out = [""];
    words.forEach(function (word) {
      var last = out.length - 1;
      if (out[last] && (out[last] + " " + word).length > 22) {
        out.push(word);
      } else {
        out[last] = out[last] ? out[last] + " " + word : word;
      }
    });
    return out.length > 1 ? out : out[0];
  }

  function draw(id, config) {
    var canvas = document.getElementById(id);
    if (canvas) {
      new Chart(canvas, config);
    }
  }

  function bars(labels, datasets, options, keepLabels) {
    return {
      type: "bar",
      data: { labels: keepLabels ? labels : labels.map(lines), datasets: datasets },
      options: Object.assign({ responsive: true }, options || {}),
    };
  }

  function spread(id, figures) {
    draw(
      id,
      bars(figures.labels, [
        { label: "Median (min)", data: figures.median, backgroundColor: BLUE },
        { label: "90th percentile (min)", data: figures.p90, backgroundColor: AMBER },
      ])
    );
  }

  draw(
    "chart-months",
    bars(data.months.labels, [{ label: "Cases", data: data.months.cases, backgroundColor: BLUE }], {
      plugins: { legend: { display: false } },
    })
  );
  draw(
    "chart-phases",
    bars(
      data.phases.labels,
      [{ label: "Completion %", data: data.phases.completion, backgroundColor: TEAL }],
      { scales: { y: { min: 0, max: 100 } }, plugins: { legend: { display: false } } }
    )
  );
  if (data.quality) {
    var PURPLE = "#6f42c1";
    var line = function (label, values, colour) {
      return {
        type: "line",
        label: label,
        data: values,
        borderColor: colour,
        backgroundColor: colour,
        spanGaps: true, // a month without cases has no share: the line goes on past it
      };
    };
    draw("chart-quality-rates", {
      type: "line",
      data: {
        labels: data.quality.labels,
        datasets: [
          line("Full team present %", data.quality.full_team, TEAL),
          line("All three attestations yes %", data.quality.attested_well, BLUE),
          line("Recorded after the fact %", data.quality.after_the_fact, RED),
        ],
      },
      options: { responsive: true, scales: { y: { min: 0, max: 100 } } },
    });
    draw(
      "chart-quality-stops",
      bars(
        data.quality.labels,
        [
          {
            label: "Stops per 100 cases",
            data: data.quality.stops_per_100,
            backgroundColor: AMBER,
            yAxisID: "y",
          },
          Object.assign(line("Median Time Out (s)", data.quality.median_time_out, PURPLE), {
            yAxisID: "seconds",
          }),
        ],
        {
          scales: {
            y: {
              beginAtZero: true,
              position: "left",
              title: { display: true, text: "Stops per 100 cases" },
            },
            seconds: {
              beginAtZero: true,
              position: "right",
              grid: { drawOnChartArea: false }, // one grid: the Stops'
              title: { display: true, text: "Median Time Out (s)" },
            },
          },
        },
        true
      )
    );
  }
  spread("chart-time-out", data.time_out_to_incision);
  spread("chart-durations-procedure", data.durations_by_procedure);
  spread("chart-durations-surgeon", data.durations_by_surgeon);
  draw(
    "chart-implants",
    bars(
      data.implants.labels,
      [{ label: "Mean implants per side", data: data.implants.mean, backgroundColor: TEAL }],
      { plugins: { legend: { display: false } } }
    )
  );
  draw(
    "chart-steps",
    bars(
      data.steps.labels,
      [
        { label: "Done %", data: data.steps.done, backgroundColor: TEAL },
        { label: "Not applicable %", data: data.steps.not_applicable, backgroundColor: AMBER },
        { label: "Missing %", data: data.steps.missing, backgroundColor: RED },
      ],
      {
        indexAxis: "y",
        scales: { x: { stacked: true, min: 0, max: 100 }, y: { stacked: true } },
      },
      true // one line per step: the axis has room for the whole title
    )
  );
})();
