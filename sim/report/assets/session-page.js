/* global document, performance */
// report.html of a certfleet broker session: draws the charts from the embedded model (sim/report/session-model.ts).
(() => {
  'use strict';

  const { points, timelineChart, color } = globalThis.certfleetCharts;
  const data = JSON.parse(document.getElementById('certfleet-data').textContent);
  const byId = (id) => document.getElementById(id);
  const { timeline, markers } = data;
  const POINT_STYLES = ['circle', 'rect', 'triangle', 'rectRot', 'star', 'crossRot'];

  /** One dataset per series; points drawn, since a session at one fixed instant has a single interval. */
  function datasets(series, options = {}) {
    return series.map((s, i) => ({
      label: s.key === s.text ? s.key : `${s.key}: ${s.text}`,
      data: points(s.series),
      borderColor: options.colors?.[s.key] ?? color(i),
      backgroundColor: `${options.colors?.[s.key] ?? color(i)}aa`,
      // Shapes differ so two series with the same count at one instant both show.
      pointRadius: 4,
      pointStyle: POINT_STYLES[i % POINT_STYLES.length],
      ...(options.stacked ? { fill: i === 0 ? 'origin' : '-1' } : {}),
    }));
  }

  const charts = [
    ['chart-connects', data.connects, 'connects per interval', { stacked: true, colors: { admitted: '#2ca02c' } }],
    ['chart-tls', data.tlsFailures, 'failed handshakes per interval', { stacked: true }],
    ['chart-certificates', data.certificates, 'per interval', { colors: { issued: '#2ca02c', 'csr-refused': '#d62728' } }],
    ['chart-deliveries', data.deliveries, 'deliveries per interval', {}],
  ];
  for (const [id, series, title, options] of charts) {
    if (!byId(id)) continue;
    timelineChart(byId(id), { timeline, markers, stacked: options.stacked, y: { title }, datasets: datasets(series, options) });
  }

  document.body.dataset.rendered = String(performance.now());
})();
