/* global Chart, document, performance, setTimeout, clearTimeout */
// report.html: draws the charts from the embedded model (sim/report/report-model.ts) and pages the table of devices
// that never recovered, so 10,000 of them cost a few hundred rows of DOM, not 10,000.
(() => {
  'use strict';

  const { formatInstant, formatCount, points, timelineChart, color, MARKER_STYLE } = globalThis.certfleetCharts;
  const { availabilityChart, cohortMultiples, incidentZooms } = globalThis.certfleetAvailability;
  const data = JSON.parse(document.getElementById('certfleet-data').textContent);
  const byId = (id) => document.getElementById(id);
  const timeline = data.timeline;
  const markers = data.markers;

  availabilityChart(byId('chart-availability'), data);
  cohortMultiples(data);
  incidentZooms(data);

  if (byId('chart-failures')) {
    timelineChart(byId('chart-failures'), {
      timeline,
      markers,
      stacked: true,
      y: { title: 'failed connects per interval' },
      datasets: data.failures.map((f, i) => ({
        label: `${f.key}: ${f.text}`,
        data: points(f.series),
        borderColor: color(i),
        backgroundColor: `${color(i)}aa`,
        fill: i === 0 ? 'origin' : '-1',
      })),
    });
  }

  timelineChart(byId('chart-rotations'), {
    timeline,
    markers,
    y: { title: 'rotations per interval' },
    y2: { title: 'renewal backlog (devices)' },
    datasets: [
      { label: 'rotations succeeded', data: points(data.rotations.succeeded), borderColor: '#2ca02c', backgroundColor: '#2ca02c' },
      { label: 'rotations failed', data: points(data.rotations.failed), borderColor: '#d62728', backgroundColor: '#d62728' },
      {
        label: 'renewal backlog',
        data: points(data.rotations.backlog),
        borderColor: '#1f77b4',
        backgroundColor: '#1f77b4',
        borderDash: [4, 3],
        yAxisID: 'y2',
      },
    ],
  });

  if (byId('chart-latency')) latencyChart(byId('chart-latency'), data.latency);

  if (byId('chart-audits')) {
    timelineChart(byId('chart-audits'), {
      timeline,
      markers,
      y: { title: 'resources flagged' },
      datasets: data.audits.map((a, i) => ({
        label: `${a.check} (${a.severity})`,
        data: points(a.series),
        borderColor: color(i),
        backgroundColor: color(i),
      })),
    });
  }

  if (byId('unrecovered-table')) unrecoveredTable(data.unrecovered);

  // For the browser test and the bench: everything is drawn (animation is off, so Chart.js drew synchronously).
  document.body.dataset.rendered = String(performance.now());

  /** Log-spaced bars, with the p50, p95 and p99 marked on the bar that holds each. */
  function latencyChart(canvas, latency) {
    const ms = (v) => (v >= 100 ? String(Math.round(v)) : String(Number(v.toPrecision(3))));
    const labels = latency.bins.map((b) => `${ms(b.fromMs)}–${ms(b.toMs)} ms`);
    const marks = {};
    for (const { name, ms: value, bin } of latency.marks) marks[bin] = [...(marks[bin] ?? []), `${name} ${value} ms`];
    const annotations = {};
    for (const [bin, lines] of Object.entries(marks)) {
      annotations[`p${bin}`] = {
        type: 'line',
        scaleID: 'x',
        value: Number(bin),
        borderColor: MARKER_STYLE.expiry.color,
        borderDash: MARKER_STYLE.fault.dash,
        borderWidth: 1.5,
        label: { display: true, content: lines, position: 'start', font: { size: 10 }, backgroundColor: 'rgba(255, 255, 255, 0.85)', color: '#222' },
      };
    }
    return new Chart(canvas, {
      type: 'bar',
      data: { labels, datasets: [{ label: 'rotations', data: latency.bins.map((b) => b.count), backgroundColor: '#1f77b4' }] },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        scales: { x: { title: { display: true, text: 'rotation latency (wall time)' } }, y: { beginAtZero: true, title: { display: true, text: 'rotations' } } },
        plugins: { legend: { display: false }, annotation: { annotations } },
      },
    });
  }

  /** The first PAGE rows that match the filter; "show more" adds a page. */
  function unrecoveredTable(table) {
    const PAGE = 200;
    const body = byId('unrecovered-table').tBodies[0];
    const filter = byId('unrecovered-filter');
    const more = byId('unrecovered-more');
    const count = byId('unrecovered-count');
    let matching = table.rows;
    let shown = 0;

    const row = ([device, cohort, cause, since]) => {
      const tr = document.createElement('tr');
      const command = `${table.reproPrefix}${device}`;
      for (const text of [device, table.cohorts[cohort], table.causes[cause], formatInstant(since)]) {
        const td = document.createElement('td');
        td.textContent = text;
        tr.append(td);
      }
      const td = document.createElement('td');
      const code = document.createElement('code');
      code.textContent = command;
      code.style.userSelect = 'all';
      td.append(code);
      tr.append(td);
      return tr;
    };
    const showMore = () => {
      const fragment = document.createDocumentFragment();
      for (const r of matching.slice(shown, shown + PAGE)) fragment.append(row(r));
      body.append(fragment);
      shown = Math.min(shown + PAGE, matching.length);
      count.textContent = `showing ${formatCount(shown)} of ${formatCount(matching.length)}${matching.length === table.rows.length ? '' : ` matching (${formatCount(table.rows.length)} in all)`}`;
      more.hidden = shown >= matching.length;
    };
    const apply = () => {
      const words = filter.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
      matching =
        words.length === 0
          ? table.rows
          : table.rows.filter(([device, cohort, cause]) => {
              const text = `${device} ${table.cohorts[cohort]} ${table.causes[cause]}`.toLowerCase();
              return words.every((w) => text.includes(w));
            });
      body.replaceChildren();
      shown = 0;
      showMore();
    };
    let pending;
    filter.addEventListener('input', () => {
      clearTimeout(pending);
      pending = setTimeout(apply, 120);
    });
    more.addEventListener('click', showMore);
    showMore();
  }
})();
