/* global document */
// report.html's availability charts: the fleet with every cohort on one chart, one small chart per cohort beside it,
// and a zoomed chart around each incident. Cohort lines often coincide (several at 100%, several at 0% after the
// same cliff): each cohort gets its own colour, dash pattern and point shape, its points drawn at sample positions
// no other cohort uses, so every cohort shows even where its line lies under another's.
(() => {
  'use strict';

  const { points, timelineChart, color, percent, MARKER_STYLE } = globalThis.certfleetCharts;
  const FLEET = '#111111';
  /** Filled shapes first: they show the most colour at a small size. */
  const POINT_STYLES = ['circle', 'triangle', 'rect', 'rectRot', 'rectRounded', 'star', 'crossRot', 'cross'];
  const DASHES = [[], [9, 4], [3, 3], [12, 3, 3, 3], [6, 6], [2, 6], [16, 4], [8, 2, 2, 2, 2, 2]];
  /** Points per cohort line on the whole timeline: enough to follow a line, few enough not to blur into it. */
  const MARKS_PER_LINE = 14;
  /** Shares are drawn on 0-100% with this much room either side, so lines at 0% and 100% are not on the border. */
  const SHARE_AXIS = { title: 'devices connected', min: 0, max: 1, pad: 0.06, format: (v) => `${Math.round(v * 100)}%` };

  /** The cohort's look on every availability chart: colour, dash, point shape. */
  function cohortStyle(i) {
    const c = color(i);
    return {
      borderColor: c,
      backgroundColor: c,
      pointBackgroundColor: c,
      pointBorderColor: c,
      borderDash: DASHES[i % DASHES.length],
      pointStyle: POINT_STYLES[i % POINT_STYLES.length],
    };
  }

  /**
   * Point radius per sample for cohort i of n: points every `every` samples, cohort i offset by i/n of that, so no two
   * cohorts put a point at the same sample.
   */
  function staggeredRadius(i, n, samples, radius) {
    const every = Math.max(1, Math.round(samples / MARKS_PER_LINE));
    if (every < n) return radius;
    const offset = Math.floor(((i + 0.5) * every) / n);
    return (ctx) => (ctx.dataIndex % every === offset ? radius : 0);
  }

  /**
   * The fleet (thick black, drawn under the cohorts) and every cohort. `order`: Chart.js draws higher orders first,
   * so the fleet is the bottom layer and the cohorts go over it in turn.
   */
  function availabilityChart(canvas, data) {
    const cohorts = data.availability.cohorts;
    const samples = data.availability.overall.t.length;
    return timelineChart(canvas, {
      timeline: data.timeline,
      markers: data.markers,
      y: SHARE_AXIS,
      value: percent,
      pointStyleLegend: true,
      datasets: [
        { label: 'fleet', data: points(data.availability.overall), borderColor: FLEET, backgroundColor: FLEET, borderWidth: 4, pointStyle: 'line', order: cohorts.length + 1 },
        ...cohorts.map((c, i) => ({
          label: c.name,
          data: points(c.series),
          ...cohortStyle(i),
          borderWidth: 2,
          pointRadius: staggeredRadius(i, cohorts.length, samples, 5),
          order: cohorts.length - i,
        })),
      ],
    });
  }

  /** One small chart per cohort: its line alone in its colour, over a faint fleet line for reference. */
  function cohortMultiples(data) {
    data.availability.cohorts.forEach((c, i) => {
      const canvas = document.getElementById(`chart-cohort-${i}`);
      if (!canvas) return;
      timelineChart(canvas, {
        timeline: data.timeline,
        markers: data.markers,
        small: true,
        y: SHARE_AXIS,
        value: percent,
        datasets: [
          { label: c.name, data: points(c.series), ...cohortStyle(i), borderWidth: 2, pointRadius: 0 },
          { label: 'fleet', data: points(data.availability.overall), borderColor: 'rgba(17, 17, 17, 0.3)', backgroundColor: 'rgba(17, 17, 17, 0.3)', borderWidth: 1 },
        ],
      });
    });
  }

  /**
   * One chart per incident window: the fleet and the cohorts whose availability moved in the window, every sample a
   * point, the y axis from just under the lowest value to 100% so the cliff fills the chart.
   */
  function incidentZooms(data) {
    const { overall, cohorts } = data.availability;
    data.zooms.windows.forEach((w, k) => {
      const canvas = document.getElementById(`chart-zoom-${k}`);
      if (!canvas) return;
      const inWindow = (series) => points(series).filter((p) => p.x >= w.from && p.x <= w.to);
      const fleet = inWindow(overall);
      const moved = cohorts
        .map((c, i) => ({ c, i, pts: inWindow(c.series) }))
        .filter(({ pts }) => pts.some((p) => p.y !== pts[0].y));
      const lowest = Math.min(...fleet.map((p) => p.y), ...moved.flatMap(({ pts }) => pts.map((p) => p.y)));
      const min = Math.max(0, Math.floor((lowest - 0.05) * 10) / 10);
      timelineChart(canvas, {
        timeline: { start: w.from, end: w.to, reached: Math.max(Math.min(data.timeline.reached, w.to), w.from) },
        markers: data.markers.filter((m) => m.t >= w.from && m.t <= w.to),
        small: true,
        legend: true,
        y: { ...SHARE_AXIS, min, pad: 0.03 },
        value: percent,
        annotations: {
          start: {
            type: 'line',
            scaleID: 'x',
            value: w.start,
            borderColor: MARKER_STYLE.start.color,
            borderDash: MARKER_STYLE.start.dash,
            borderWidth: 1.5,
          },
        },
        datasets: [
          { label: 'fleet', data: fleet, borderColor: FLEET, backgroundColor: FLEET, borderWidth: 4, pointRadius: 0, order: moved.length + 1 },
          // Every sample is a point here; where two cohorts coincide the lower one's point is larger, a ring around
          // the upper one's.
          ...moved.map(({ c, i, pts }, j) => ({ label: c.name, data: pts, ...cohortStyle(i), borderWidth: 2, pointRadius: 2.5 + 2 * (moved.length - 1 - j), order: moved.length - j })),
        ],
      });
    });
  }

  globalThis.certfleetAvailability = { availabilityChart, cohortMultiples, incidentZooms };
})();
