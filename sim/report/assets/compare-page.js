/* global document, performance */
// compare.html: both runs' fleet availability on one simulated timeline, with the markers of either run.
(() => {
  'use strict';

  const { percent, points, timelineChart } = globalThis.certfleetCharts;
  const data = JSON.parse(document.getElementById('certfleet-data').textContent);
  const colors = ['#1f77b4', '#d62728'];

  timelineChart(document.getElementById('chart-availability'), {
    timeline: data.timeline,
    markers: data.markers,
    // The runs' samples need not share times (another scenario, a partial run): tooltips take the nearest point.
    interaction: 'nearest',
    y: { title: 'devices connected', min: 0, max: 1, format: (v) => `${Math.round(v * 100)}%` },
    value: percent,
    datasets: data.runs.map((run, i) => ({
      label: run.label,
      data: points(run.availability),
      borderColor: colors[i],
      backgroundColor: colors[i],
      borderWidth: 2.5,
      borderDash: i === 0 ? [] : [6, 3],
    })),
  });

  document.body.dataset.rendered = String(performance.now());
})();
