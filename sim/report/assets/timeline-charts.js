/* global Chart */
// Charts over simulated time for report.html and compare.html (run in the browser, inlined after Chart.js and its
// annotation plugin). No date adapter is bundled: the x axis is linear in ms since the epoch, and this file places
// and formats its ticks on calendar boundaries itself.
(() => {
  'use strict';

  const MINUTE = 60_000;
  const HOUR = 60 * MINUTE;
  const DAY = 24 * HOUR;
  const FIXED_STEPS = [MINUTE, 5 * MINUTE, 15 * MINUTE, 30 * MINUTE, HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY, 7 * DAY, 14 * DAY];
  const MONTH_STEPS = [1, 2, 3, 6, 12, 24, 60, 120];
  const MAX_TICKS = 9;
  const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf', '#393b79', '#ad494a'];

  /** "2030-01-01T00:00Z", seconds only when the instant has them (as sim/report/report-format.ts). */
  function formatInstant(t) {
    const iso = new Date(t).toISOString();
    return iso.slice(17, 23) === '00.000' ? `${iso.slice(0, 16)}Z` : `${iso.slice(0, 19)}Z`;
  }

  function percent(share) {
    return `${(share * 100).toFixed(1)}%`;
  }

  function formatCount(n) {
    return Number(n).toLocaleString('en-US');
  }

  /** Tick positions on whole minutes, hours, days or calendar months (UTC), at most MAX_TICKS of them. */
  function timeTicks(min, max) {
    const span = Math.max(max - min, MINUTE);
    const fixed = FIXED_STEPS.find((step) => span / step <= MAX_TICKS);
    const values = [];
    if (fixed !== undefined) {
      for (let t = Math.ceil(min / fixed) * fixed; t <= max; t += fixed) values.push(t);
      return { values, format: (t) => (fixed >= DAY ? new Date(t).toISOString().slice(0, 10) : new Date(t).toISOString().slice(5, 16).replace('T', ' ')) };
    }
    const months = MONTH_STEPS.find((step) => span / (step * 30.4 * DAY) <= MAX_TICKS) ?? 240;
    const start = new Date(min);
    const year = start.getUTCFullYear();
    let month = start.getUTCMonth();
    if (Date.UTC(year, month, 1) < min) month += 1;
    while (month % months !== 0 && months <= 12) month += 1;
    for (let t = Date.UTC(year, month, 1); t <= max; month += months, t = Date.UTC(year, month, 1)) values.push(t);
    return { values, format: (t) => new Date(t).toISOString().slice(0, months >= 12 ? 4 : 7) };
  }

  /** A series { t: [...], values: [...] } as Chart.js points. */
  function points(series) {
    return series.t.map((t, i) => ({ x: t, y: series.values[i] }));
  }

  /**
   * Every marker as a labelled vertical line: expiries solid red, injected faults dotted orange, scenario events dashed grey. Markers at one instant
   * come grouped with one label line each; labels alternate top and bottom so neighbours overlap less. A partial run
   * greys out the part of the timeline it never reached.
   */
  function markerAnnotations(markers, timeline) {
    const annotations = {};
    markers.forEach((m, i) => {
      const expiry = m.kind === 'expiry';
      const fault = m.kind === 'fault';
      annotations[`marker${i}`] = {
        type: 'line',
        scaleID: 'x',
        value: m.t,
        borderColor: expiry ? 'rgba(179, 38, 30, 0.85)' : fault ? 'rgba(214, 120, 0, 0.9)' : 'rgba(70, 70, 70, 0.75)',
        borderWidth: 1.5,
        borderDash: expiry ? [] : fault ? [2, 3] : [6, 4],
        label: {
          display: true,
          content: m.labels,
          position: i % 2 === 0 ? 'start' : 'end',
          font: { size: 10 },
          color: '#222',
          backgroundColor: 'rgba(255, 255, 255, 0.85)',
          padding: 3,
        },
      };
    });
    if (timeline.reached < timeline.end) {
      annotations.notReached = {
        type: 'box',
        xMin: timeline.reached,
        xMax: timeline.end,
        backgroundColor: 'rgba(120, 120, 120, 0.12)',
        borderWidth: 0,
        label: { display: true, content: 'not reached (the run stopped)', position: 'center', font: { size: 11 } },
      };
    }
    return annotations;
  }

  /**
   * A line chart over the simulated timeline with the markers. y: { title, min, max, format }, optional y2 for a
   * second (right) axis; stacked stacks the datasets; value formats tooltip values.
   */
  function timelineChart(canvas, options) {
    const { datasets, timeline, markers, y, y2, stacked, value = formatCount, interaction = 'index' } = options;
    const ticks = timeTicks(timeline.start, timeline.end);
    const scales = {
      x: {
        type: 'linear',
        min: timeline.start,
        max: timeline.end,
        afterBuildTicks: (axis) => {
          axis.ticks = ticks.values.map((v) => ({ value: v }));
        },
        ticks: { callback: (v) => ticks.format(v), maxRotation: 0, autoSkip: false },
      },
      y: {
        stacked: Boolean(stacked),
        beginAtZero: true,
        min: y.min,
        max: y.max,
        title: { display: true, text: y.title },
        ticks: y.format ? { callback: y.format } : {},
      },
    };
    if (y2) {
      scales.y2 = { position: 'right', beginAtZero: true, grid: { drawOnChartArea: false }, title: { display: true, text: y2.title } };
    }
    return new Chart(canvas, {
      type: 'line',
      data: { datasets },
      options: {
        // Drawn at once: a report is read, not watched, and the bench times data to pixels.
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: interaction, axis: 'x', intersect: false },
        elements: { point: { radius: 0, hitRadius: 4 }, line: { borderWidth: 1.5, tension: 0 } },
        scales,
        plugins: {
          legend: { position: 'bottom', labels: { boxWidth: 12 } },
          tooltip: {
            callbacks: {
              title: (items) => (items.length > 0 ? formatInstant(items[0].parsed.x) : ''),
              label: (item) => `${item.dataset.label}: ${item.dataset.yAxisID === 'y2' ? formatCount(item.parsed.y) : value(item.parsed.y)}`,
            },
          },
          annotation: { annotations: markerAnnotations(markers, timeline) },
        },
      },
    });
  }

  function color(i) {
    return PALETTE[i % PALETTE.length];
  }

  globalThis.certfleetCharts = { formatInstant, formatCount, percent, points, timelineChart, color };
})();
