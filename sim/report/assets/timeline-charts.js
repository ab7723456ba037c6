/* global Chart */
// Charts over simulated time for report.html and compare.html (run in the browser, inlined after Chart.js and its
// annotation plugin). No date adapter is bundled: the x axis is linear in ms since the epoch, and this file places
// and formats its ticks on calendar boundaries itself.
(() => {
  'use strict';

  const SECOND = 1000;
  const MINUTE = 60 * SECOND;
  const HOUR = 60 * MINUTE;
  const DAY = 24 * HOUR;
  const FIXED_STEPS = [SECOND, 5 * SECOND, 15 * SECOND, 30 * SECOND, MINUTE, 5 * MINUTE, 15 * MINUTE, 30 * MINUTE, HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY, 7 * DAY, 14 * DAY];
  const MONTH_STEPS = [1, 2, 3, 6, 12, 24, 60, 120];
  const MAX_TICKS = 9;
  // Data colours: saturated, no greys (greys are the markers'), well apart so each series reads as its own.
  const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#bcbd22', '#17becf', '#393b79', '#ad494a', '#637939'];
  /**
   * Markers (certificate expiries, scenario events, injected faults, an incident's start) in a neutral palette of
   * greys with their own line styles, so no vertical line is taken for a data series (the old expiry red was the red
   * of "rotations failed").
   */
  const MARKER_STYLE = {
    expiry: { color: '#4d4d4d', dash: [] },
    fault: { color: '#6f6f6f', dash: [2, 3] },
    event: { color: '#8f8f8f', dash: [6, 4] },
    start: { color: '#5e5e5e', dash: [10, 3, 2, 3] },
  };

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
  function timeTicks(min, max, maxTicks = MAX_TICKS) {
    const span = Math.max(max - min, SECOND);
    const fixed = FIXED_STEPS.find((step) => span / step <= maxTicks);
    const values = [];
    if (fixed !== undefined) {
      for (let t = Math.ceil(min / fixed) * fixed; t <= max; t += fixed) values.push(t);
      const iso = (t) => new Date(t).toISOString();
      const format = fixed >= DAY ? (t) => iso(t).slice(0, 10) : fixed >= MINUTE ? (t) => iso(t).slice(5, 16).replace('T', ' ') : (t) => iso(t).slice(11, 19);
      return { values, format };
    }
    const months = MONTH_STEPS.find((step) => span / (step * 30.4 * DAY) <= maxTicks) ?? 240;
    const start = new Date(min);
    const year = start.getUTCFullYear();
    let month = start.getUTCMonth();
    if (Date.UTC(year, month, 1) < min) month += 1;
    while (month % months !== 0 && months <= 12) month += 1;
    for (let t = Date.UTC(year, month, 1); t <= max; month += months, t = Date.UTC(year, month, 1)) values.push(t);
    return { values, format: (t) => new Date(t).toISOString().slice(0, months >= 12 ? 4 : 7) };
  }

  /** Round ticks from min to max (both included when round), at most about `count` steps: a padded axis's ticks. */
  function paddedTicks(min, max, count) {
    const span = max - min;
    const step = [0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 1, 2, 5, 10].find((s) => span / s <= count + 1e-9) ?? span;
    const values = [];
    for (let k = Math.ceil(min / step - 1e-9); k * step <= max + 1e-9; k++) values.push(Number((k * step).toFixed(6)));
    return values;
  }

  /** A series { t: [...], values: [...] } as Chart.js points. */
  function points(series) {
    return series.t.map((t, i) => ({ x: t, y: series.values[i] }));
  }

  /**
   * Every marker as a labelled vertical line in MARKER_STYLE: expiries solid, injected faults dotted, scenario events
   * dashed. Markers at one instant come grouped with one label line each; labels alternate top and bottom so
   * neighbours overlap less (small charts leave them out). A partial run greys out the part of the timeline it never
   * reached.
   */
  function markerAnnotations(markers, timeline, labels = true) {
    const annotations = {};
    markers.forEach((m, i) => {
      const style = MARKER_STYLE[m.kind] ?? MARKER_STYLE.event;
      annotations[`marker${i}`] = {
        type: 'line',
        scaleID: 'x',
        value: m.t,
        borderColor: style.color,
        borderWidth: 1.5,
        borderDash: style.dash,
        label: {
          display: labels,
          content: m.labels,
          position: i % 2 === 0 ? 'start' : 'end',
          font: { size: 10 },
          color: '#222',
          // See-through: a label at the top of the plot lies over the lines at 100%.
          backgroundColor: 'rgba(255, 255, 255, 0.6)',
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
        label: { display: labels, content: 'not reached (the run stopped)', position: 'center', font: { size: 11 } },
      };
    }
    return annotations;
  }

  /**
   * A line chart over the simulated timeline with the markers. y: { title, min, max, pad, format }, optional y2 for a
   * second (right) axis; stacked stacks the datasets; value formats tooltip values. y.pad widens the axis beyond
   * min and max (ticks stay within them) so a line at 0% or 100% is drawn inside the plot, not on its border.
   * small: a small multiple (few ticks, no legend, no marker labels); annotations: more annotations (a zoom's start).
   */
  function timelineChart(canvas, options) {
    const { datasets, timeline, markers, y, y2, stacked, value = formatCount, interaction = 'index', small = false, title, annotations = {} } = options;
    const ticks = timeTicks(timeline.start, timeline.end, small ? 4 : MAX_TICKS);
    const pad = y.pad ?? 0;
    const scales = {
      x: {
        type: 'linear',
        min: timeline.start,
        max: timeline.end,
        afterBuildTicks: (axis) => {
          axis.ticks = ticks.values.map((v) => ({ value: v }));
        },
        ticks: { callback: (v) => ticks.format(v), maxRotation: 0, autoSkip: false, ...(small ? { font: { size: 10 } } : {}) },
      },
      y: {
        stacked: Boolean(stacked),
        beginAtZero: true,
        min: y.min === undefined ? undefined : y.min - pad,
        max: y.max === undefined ? undefined : y.max + pad,
        afterBuildTicks: (axis) => {
          if (pad > 0) axis.ticks = paddedTicks(y.min, y.max, small ? 3 : 5).map((value) => ({ value }));
        },
        title: { display: !small, text: y.title },
        ticks: { ...(y.format ? { callback: y.format } : {}), ...(small ? { font: { size: 10 } } : {}) },
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
          // Clicking an entry hides or shows its line (Chart.js's default legend action).
          legend: { display: options.legend ?? !small, position: 'bottom', labels: { boxWidth: 12, usePointStyle: Boolean(options.pointStyleLegend), font: { size: small ? 10 : 12 }, sort: (a, b) => a.datasetIndex - b.datasetIndex } },
          title: title ? { display: true, text: title, font: { size: 11, weight: 'normal' }, padding: 2 } : { display: false },
          tooltip: {
            callbacks: {
              title: (items) => (items.length > 0 ? formatInstant(items[0].parsed.x) : ''),
              label: (item) => `${item.dataset.label}: ${item.dataset.yAxisID === 'y2' ? formatCount(item.parsed.y) : value(item.parsed.y)}`,
            },
          },
          annotation: { annotations: { ...markerAnnotations(markers, timeline, !small), ...annotations } },
        },
      },
    });
  }

  /**
   * The i-th data colour (#rrggbb, so callers may append an alpha): the palette, then hues spread by the golden angle,
   * so a chart with more series than the palette still gives each its own colour.
   */
  function color(i) {
    if (i < PALETTE.length) return PALETTE[i];
    const hue = ((i - PALETTE.length) * 137.508 + 15) % 360;
    return hslHex(hue, 0.65, 0.42);
  }

  function hslHex(h, s, l) {
    const f = (n) => {
      const k = (n + h / 30) % 12;
      const c = l - s * Math.min(l, 1 - l) * Math.max(-1, Math.min(k - 3, 9 - k, 1));
      return Math.round(c * 255)
        .toString(16)
        .padStart(2, '0');
    };
    return `#${f(0)}${f(8)}${f(4)}`;
  }

  globalThis.certfleetCharts = { formatInstant, formatCount, percent, points, timelineChart, color, MARKER_STYLE };
})();
