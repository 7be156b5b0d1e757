// SmartMaint gateway status page: one EventSource, no framework, no network beyond this gateway.
// Everything from the gateway is text that a device may have chosen (asset, topic, client id): it is set
// with textContent, never parsed as HTML.
(function () {
  'use strict';
  var MAX_POINTS = 300;
  // Maps, not objects: asset and sensor names are chosen by devices, and `constructor` or `__proto__` must be
  // names like any other, not members of Object.prototype.
  var history = new Map(); // asset -> Map(series -> [[ts, v], ...])
  var cards = new Map(); // asset -> card elements
  var chosenSensor = new Map(); // asset -> sensor shown in its chart
  var last = null;
  var receivedAt = 0; // this browser's clock when `last` arrived
  var lostAt = null; // this browser's clock when the stream was found dead; null while live
  // Snapshots come every second: a stream silent for this long is dead even if the socket has not said so.
  var SILENCE_MS = 5000;

  var ui = window.SmartMaintUI;
  var $ = ui.$, el = ui.el, ago = ui.ago, fmt = ui.fmt;
  function when(ts, now) { return ts ? new Date(ts).toLocaleTimeString() + ' (' + ago(now - ts) + ' ago)' : '–'; }
  function bytes(n) {
    if (n === null || n === undefined) return '–';
    var u = ['B', 'KB', 'MB', 'GB', 'TB'], i = 0;
    while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
    return n.toFixed(i ? 1 : 0) + ' ' + u[i];
  }

  function seriesOf(asset) {
    var h = history.get(asset);
    if (!h) { h = new Map(); history.set(asset, h); }
    return h;
  }

  function pointsOf(asset, series) {
    var h = history.get(asset);
    return (h && h.get(series)) || [];
  }

  function push(asset, series, point) {
    var h = seriesOf(asset);
    var s = h.get(series);
    if (!s) { s = []; h.set(series, s); }
    var tail = s[s.length - 1];
    // Older than what is drawn (a snapshot re-rendered after its history arrived): the chart stays in time order.
    if (tail && point[0] <= tail[0]) return;
    s.push(point);
    if (s.length > MAX_POINTS) s.splice(0, s.length - MAX_POINTS);
  }

  // A small SVG chart of a series, with threshold lines (solid: raises; dotted: clears); values only (numbers),
  // so building its markup is safe. Axis labels and the legend are built as elements around it (see figure()).
  function chart(points, thresholds) {
    var w = 300, h = 56, pad = 3;
    var vals = points.map(function (p) { return p[1]; });
    (thresholds || []).forEach(function (t) { vals.push(t.value, t.clear); });
    if (!points.length) return { svg: '<svg class="chart" viewBox="0 0 300 56" preserveAspectRatio="none"></svg>', lo: null, hi: null };
    var lo = Math.min.apply(null, vals), hi = Math.max.apply(null, vals);
    if (hi === lo) { hi += 1; lo -= 1; }
    var t0 = points[0][0], t1 = points[points.length - 1][0];
    var span = t1 - t0 || 1;
    function x(t) { return points.length === 1 ? w - pad : pad + ((t - t0) / span) * (w - 2 * pad); }
    function y(v) { return h - pad - ((v - lo) / (hi - lo)) * (h - 2 * pad); }
    var line = points.map(function (p) { return x(p[0]).toFixed(1) + ',' + y(p[1]).toFixed(1); }).join(' ');
    var lines = (thresholds || []).map(function (t) {
      var cls = t.severity === 'critical' ? 't-critical' : 't-warning';
      var raise = y(t.value).toFixed(1), clear = y(t.clear).toFixed(1);
      return '<line class="' + cls + '" x1="0" x2="' + w + '" y1="' + raise + '" y2="' + raise + '"></line>' +
        (t.clear !== t.value ? '<line class="' + cls + ' t-clear" x1="0" x2="' + w + '" y1="' + clear + '" y2="' + clear + '"></line>' : '');
    }).join('');
    return {
      svg: '<svg class="chart" viewBox="0 0 ' + w + ' ' + h + '" preserveAspectRatio="none">' + lines +
        '<polyline points="' + line + '"></polyline></svg>',
      lo: lo, hi: hi, t0: t0, t1: t1,
    };
  }

  // The chart with its axes named: the value range (in the output's unit) on the left, time along the bottom,
  // and a legend of the thresholds saying where an alert is raised and where it clears.
  function figure(points, thresholds, unit) {
    var c = chart(points, thresholds);
    var fig = el('figure', 'fig');
    var plot = el('div', 'plot');
    plot.insertAdjacentHTML('beforeend', c.svg);
    if (c.lo !== null) {
      plot.appendChild(el('span', 'y-max', fmt(c.hi) + (unit ? ' ' + unit : '')));
      plot.appendChild(el('span', 'y-min', fmt(c.lo) + (unit ? ' ' + unit : '')));
      var axis = el('div', 'x-axis');
      axis.appendChild(el('span', null, hhmmss(c.t0)));
      axis.appendChild(el('span', 'x-name', 'time'));
      axis.appendChild(el('span', null, hhmmss(c.t1)));
      fig.appendChild(plot);
      fig.appendChild(axis);
    } else {
      fig.appendChild(plot);
    }
    if (thresholds && thresholds.length) {
      var legend = el('div', 'legend');
      thresholds.forEach(function (t) {
        var item = el('span', 'legend-item ' + (t.severity === 'critical' ? 'critical' : 'warning'));
        item.appendChild(el('span', 'swatch'));
        var side = t.when === 'below' ? 'below ' : 'above ';
        item.appendChild(document.createTextNode(t.severity + ' ' + side + limit(t.value) +
          (t.clear !== t.value ? ', clears at ' + limit(t.clear) : '') + (unit ? ' ' + unit : '')));
        legend.appendChild(item);
      });
      fig.appendChild(legend);
    }
    return fig;
  }

  function loadHistory(asset) {
    fetch('/api/v1/status/history?asset=' + encodeURIComponent(asset), { credentials: 'same-origin' })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (h) {
        if (!h) return;
        var mine = seriesOf(asset);
        [h.sensors, h.outputs].forEach(function (group) {
          Object.keys(group || {}).forEach(function (series) {
            var live = mine.get(series) || [];
            var points = group[series];
            var lastTs = points.length ? points[points.length - 1][0] : -Infinity;
            mine.set(series, points.concat(live.filter(function (p) { return p[0] > lastTs; })).slice(-MAX_POINTS));
          });
        });
        if (last) render(last);
      })
      .catch(function () { /* the live stream still fills the charts */ });
  }

  function assetCard(asset) {
    var c = cards.get(asset);
    if (c) return c;
    var root = el('article', 'asset');
    root.setAttribute('data-asset', asset);
    var title = el('h3');
    title.appendChild(el('span', 'name', asset));
    var badges = el('span', 'badges');
    title.appendChild(badges);
    root.appendChild(title);
    var seen = el('p', 'seen muted');
    root.appendChild(seen);
    var outputs = el('div', 'outputs');
    root.appendChild(outputs);
    var pick = el('label', 'sensor-pick', 'Sensor ');
    var select = el('select');
    select.setAttribute('aria-label', 'sensor of ' + asset);
    select.addEventListener('change', function () { chosenSensor.set(asset, select.value); if (last) render(last); });
    pick.appendChild(select);
    var current = el('span', 'value sensor-value');
    pick.appendChild(current);
    var currentAge = el('span', 'muted sensor-age');
    pick.appendChild(currentAge);
    root.appendChild(pick);
    var sensorChart = el('div', 'sensor-chart');
    root.appendChild(sensorChart);
    var details = el('details');
    details.appendChild(el('summary', null, 'All latest values'));
    var values = el('div', 'values');
    details.appendChild(values);
    root.appendChild(details);
    c = { root: root, badges: badges, seen: seen, outputs: outputs, select: select, current: current, currentAge: currentAge,
      sensorChart: sensorChart, values: values, sensors: '' };
    cards.set(asset, c);
    loadHistory(asset);
    return c;
  }

  function renderAsset(a, now) {
    var c = assetCard(a.asset);
    Object.keys(a.sensors).forEach(function (s) { push(a.asset, s, a.sensors[s]); });
    a.outputs.forEach(function (o) { push(a.asset, o.series, [o.ts, o.value]); });
    c.root.classList.toggle('alerting', a.alerts.length > 0);
    c.root.classList.toggle('stale', a.severity === 'stale');
    c.root.setAttribute('data-severity', a.severity);
    c.badges.textContent = '';
    a.alerts.forEach(function (al) { c.badges.appendChild(el('span', 'badge ' + al.severity, al.severity + ': ' + words(al.output))); });
    if (a.severity === 'stale') c.badges.appendChild(el('span', 'badge stale', 'stale'));
    c.seen.textContent = a.lastSeenAt === null ? 'no readings yet'
      : 'last seen ' + ago(now - a.lastSeenAt) + ' ago' + (a.severity === 'stale'
        ? ' — silent for more than ' + ago(a.staleAfterMs) + (a.intervalMs ? ' (usually every ' + ago(a.intervalMs) + ')' : '') : '');
    c.outputs.textContent = '';
    a.outputs.forEach(function (o) {
      var box = el('div', 'output');
      box.setAttribute('data-output', o.output);
      var label = el('div', 'label');
      label.appendChild(el('span', null, words(o.output) + (o.unit ? ' (' + o.unit + ')' : '') + ' · ' + o.model + ' ' + o.version));
      var value = el('span', 'value', fmt(o.value) + (o.unit ? ' ' + o.unit : ''));
      label.appendChild(value);
      box.appendChild(label);
      var series = pointsOf(a.asset, o.series);
      box.appendChild(figure(series, o.thresholds, o.unit));
      c.outputs.appendChild(box);
    });
    var names = Object.keys(a.sensors).sort(function (x, y) { return x.localeCompare(y, 'en', { numeric: true }); });
    if (names.join('\u0000') !== c.sensors) {
      c.sensors = names.join('\u0000');
      var keep = chosenSensor.get(a.asset) || c.select.value;
      c.select.textContent = '';
      names.forEach(function (n) { var o = el('option', null, n); o.value = n; c.select.appendChild(o); });
      if (keep && names.indexOf(keep) >= 0) c.select.value = keep;
    }
    var shown = c.select.value;
    var latest = names.indexOf(shown) >= 0 ? a.sensors[shown] : undefined;
    c.current.textContent = latest ? fmt(latest[1]) : '–';
    c.current.setAttribute('data-sensor', shown || '');
    c.currentAge.textContent = latest ? ago(now - latest[0]) + ' ago' : '';
    c.sensorChart.textContent = '';
    c.sensorChart.appendChild(figure(pointsOf(a.asset, shown), [], null));
    c.values.textContent = '';
    names.forEach(function (n) {
      var cell = el('span', null, n + ' ' + fmt(a.sensors[n][1]));
      cell.appendChild(el('span', 'muted age', ' · ' + ago(now - a.sensors[n][0]) + ' ago'));
      cell.setAttribute('data-sensor', n);
      c.values.appendChild(cell);
    });
  }

  // Thresholds are written by people: 50 reads as 50, not 50.00.
  function limit(v) { return Number.isInteger(v) ? String(v) : fmt(v); }

  // Output and model names are identifiers (anomaly_score); people read words.
  function words(name) { return String(name).replace(/_/g, ' '); }

  function rows(tbody, items, cells) {
    tbody.textContent = '';
    if (!items.length) {
      // An empty table says so instead of showing bare headers.
      var none = el('td', 'muted', 'none');
      none.colSpan = tbody.parentNode.querySelectorAll('thead th').length;
      var tr0 = el('tr');
      tr0.appendChild(none);
      tbody.appendChild(tr0);
      return;
    }
    items.forEach(function (item) {
      var tr = el('tr');
      cells(item).forEach(function (v, i) { tr.appendChild(el('td', i === 4 ? 'wrap' : null, v)); });
      tbody.appendChild(tr);
    });
  }

  // The gateway's time now, read from the last snapshot plus what this browser's clock says has passed since:
  // while the stream is lost, ages keep counting from the figures' own time.
  function gatewayNow() { return last ? last.ts + Math.max(0, Date.now() - receivedAt) : Date.now(); }

  // The uplink words carry an age; recount it so it does not freeze while the page is cut off.
  function uplinkWords(u, now) {
    if (u.kind === 'synced' && u.lastContactAt) return 'synced (last contact ' + ago(now - u.lastContactAt) + ' ago)';
    if (u.failingSince && /\([^()]* ago\)$/.test(u.words)) return u.words.replace(/\([^()]* ago\)$/, '(' + ago(now - u.failingSince) + ' ago)');
    return u.words;
  }

  function render(s, at) {
    var now = at || s.ts;
    $('#gateway-id').textContent = s.gatewayId;
    $('#version').textContent = 'SmartMaint ' + s.version;
    $('#updated').textContent = new Date(now).toLocaleTimeString();
    var up = $('#uplink');
    up.textContent = uplinkWords(s.uplink, now);
    up.className = 'big state-' + s.uplink.kind;
    var detail = [];
    if (s.uplink.drainEtaS !== null) detail.push('drains in about ' + ago(s.uplink.drainEtaS * 1000));
    if (s.uplink.kind === 'backlog' && s.uplink.drainEtaS === null) detail.push('not draining yet');
    if (s.uplink.pending) detail.push(s.uplink.pending + ' readings pending');
    if (s.uplink.lastSuccessAt) detail.push('last sent ' + ago(now - s.uplink.lastSuccessAt) + ' ago');
    if (s.uplink.lastFailure && s.uplink.kind !== 'synced') detail.push(s.uplink.lastFailure);
    $('#uplink-detail').textContent = detail.join(' · ');
    $('#ingest-rate').textContent = fmt(s.ingestRate);
    $('#client-count').textContent = s.clients.length + (s.clients.length === 1 ? ' broker client' : ' broker clients');
    var budget = s.disk.budgetBytes;
    $('#disk').textContent = bytes(s.disk.usedBytes) + (budget ? ' of ' + bytes(budget) : ' (no budget set)');
    var share = budget ? Math.min(1, s.disk.usedBytes / budget) : 0;
    var bar = $('#disk-bar');
    bar.style.width = (share * 100).toFixed(1) + '%';
    bar.classList.toggle('high', share > 0.8);

    var alerts = [];
    s.assets.forEach(function (a) { a.alerts.forEach(function (al) { alerts.push({ asset: a.asset, al: al }); }); });
    var list = $('#alerts');
    list.textContent = '';
    if (!alerts.length) list.appendChild(el('li', 'muted', 'none'));
    alerts.forEach(function (x) {
      var al = x.al;
      list.appendChild(el('li', al.severity, x.asset + ': ' + al.severity + ' — ' + words(al.output) + ' ' + fmt(al.value) +
        ' (threshold ' + limit(al.threshold) + ', ' + al.model + ') since ' + when(al.ts, now)));
    });

    var assets = $('#assets');
    if (s.assets.length && assets.querySelector('p.muted')) assets.textContent = '';
    s.assets.forEach(function (a) { renderAsset(a, now); });
    // The gateway sends assets by severity (critical, warning, stale, healthy), then name: keep the cards in that order.
    var order = s.assets.map(function (a) { return a.asset; });
    var shown = Array.prototype.map.call(assets.children, function (e) { return e.getAttribute('data-asset'); });
    if (order.join('\u0000') !== shown.slice(0, order.length).join('\u0000')) {
      order.forEach(function (name) { assets.appendChild(cards.get(name).root); });
    }

    rows($('#clients tbody'), s.clients, function (c) {
      return [c.id, c.address, when(c.connectedAt, now), c.lastMessageAt ? when(c.lastMessageAt, now) : 'never', c.messages];
    });
    rows($('#models tbody'), s.models, function (m) {
      return [m.name, m.version, m.status + (m.shadow ? ' (shadow: scored, not alerting)' : ''), m.rowsScored, m.error || ''];
    });
    $('#dead-total').textContent = s.deadLettersTotal ? '(' + s.deadLettersTotal + ' in total, latest ' + s.deadLetters.length + ')' : '';
    rows($('#dead-letters tbody'), s.deadLetters, function (d) {
      return [when(d.receivedAt, now), d.topic, d.clientId || '', d.reason, d.detail];
    });

    var sel = $('#export select[name=asset]');
    var want = s.assets.map(function (a) { return a.asset; }).join('\u0000');
    if (sel.getAttribute('data-list') !== want) {
      var keep = sel.value;
      sel.textContent = '';
      s.assets.forEach(function (a) { var o = el('option', null, a.asset); o.value = a.asset; sel.appendChild(o); });
      if (keep) sel.value = keep;
      sel.setAttribute('data-list', want);
      exportLink();
    }
  }

  function exportLink() {
    var f = $('#export');
    var q = new URLSearchParams();
    q.set('asset', f.asset.value);
    if (f.from.value) q.set('from', String(new Date(f.from.value).getTime()));
    if (f.to.value) q.set('to', String(new Date(f.to.value).getTime()));
    q.set('format', f.format.value);
    $('#export-link').href = '/api/v1/export?' + q.toString();
  }

  function hhmmss(ts) {
    var d = new Date(ts);
    return [d.getHours(), d.getMinutes(), d.getSeconds()].map(function (n) { return (n < 10 ? '0' : '') + n; }).join(':');
  }

  // Everything on screen stops being true when the stream dies: grey it out and say since when, so nobody reads
  // a dead gateway's last "synced" as current. The figures' time is the last snapshot's.
  function lost() {
    if (lostAt !== null) return;
    lostAt = Date.now();
    var live = $('#live');
    live.textContent = 'connection lost';
    live.className = 'pill down';
    document.body.classList.add('lost');
    var banner = $('#lost');
    banner.textContent = last
      ? 'connection to the gateway lost at ' + hhmmss(last.ts) + ' — figures are from then'
      : 'no connection to the gateway (since ' + hhmmss(lostAt) + ')';
    banner.hidden = false;
  }

  function found() {
    lostAt = null;
    var live = $('#live');
    live.textContent = 'live';
    live.className = 'pill live';
    document.body.classList.remove('lost');
    $('#lost').hidden = true;
  }

  function connect() {
    var es = new EventSource('/api/v1/status/stream');
    es.onerror = function () { if (es.readyState !== EventSource.OPEN) lost(); };
    es.onmessage = function (ev) {
      try { last = JSON.parse(ev.data); } catch (e) { return; }
      receivedAt = Date.now();
      if (lostAt !== null || $('#live').className !== 'pill live') found();
      render(last);
    };
    // One timer for the page: notice a silent stream, and keep the ages counting while cut off.
    setInterval(function () {
      if (lostAt === null && Date.now() - (receivedAt || pageStart) > SILENCE_MS) lost();
      if (lostAt !== null && last) render(last, gatewayNow());
    }, 1000);
  }
  var pageStart = Date.now();

  document.addEventListener('DOMContentLoaded', function () {
    $('#export').addEventListener('input', exportLink);
    $('#export').addEventListener('submit', function (e) { e.preventDefault(); });
    connect();
  });
})();
