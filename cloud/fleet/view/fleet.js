// SmartMaint fleet view: the operator key lives in sessionStorage and goes with every API call as a Bearer
// token. `#key=<key>` in the URL (printed by the demo) logs in and is removed from the address bar at once.
// Gateway-chosen text (ids, asset names) is set with textContent, never parsed as HTML.
(function () {
  'use strict';
  var KEY = 'smartmaint.operatorKey';
  var REFRESH_MS = 5000;
  var timer = null;
  // Maps, not objects, wherever gateway-chosen names are keys: an asset `__proto__` or a sensor `constructor`
  // must be a name like any other, never a member of Object.prototype.
  var chosen = new Map(); // asset -> sensor
  var lastLoaded = 0; // when the figures on screen were loaded

  var ui = window.SmartMaintUI;
  var $ = ui.$, el = ui.el, ago = ui.ago, fmt = ui.fmt;
  function statusOf(g) { return g.authFailing ? 'auth-failing' : g.status; }

  function api(path) {
    return fetch(path, { headers: { authorization: 'Bearer ' + sessionStorage.getItem(KEY) } }).then(function (r) {
      if (r.status === 401 || r.status === 403) {
        var err = new Error(r.status === 403 ? 'this key is revoked or is not an operator key' : 'key not recognised');
        err.auth = true;
        throw err;
      }
      if (!r.ok) throw new Error('HTTP ' + r.status);
      return r.json();
    });
  }

  // A small SVG chart with threshold lines (dashed: raises, dotted: clears), coloured by severity; numbers only.
  function chart(points, thresholds) {
    var w = 300, h = 56, pad = 3;
    if (!points.length) return '<svg class="chart" viewBox="0 0 300 56" preserveAspectRatio="none"></svg>';
    var vals = points.map(function (p) { return p[1]; });
    (thresholds || []).forEach(function (t) { vals.push(t.value); if (t.clear !== null) vals.push(t.clear); });
    var lo = Math.min.apply(null, vals), hi = Math.max.apply(null, vals);
    if (hi === lo) { hi += 1; lo -= 1; }
    var t0 = points[0][0], span = (points[points.length - 1][0] - t0) || 1;
    function x(t) { return pad + ((t - t0) / span) * (w - 2 * pad); }
    function y(v) { return h - pad - ((v - lo) / (hi - lo)) * (h - 2 * pad); }
    var lines = (thresholds || []).map(function (t) {
      var cls = t.severity === 'critical' ? 't-critical' : 't-warning';
      var out = '<line class="' + cls + '" x1="0" x2="300" y1="' + y(t.value).toFixed(1) + '" y2="' + y(t.value).toFixed(1) + '"></line>';
      if (t.clear !== null && t.clear !== t.value) {
        out += '<line class="' + cls + ' t-clear" x1="0" x2="300" y1="' + y(t.clear).toFixed(1) + '" y2="' + y(t.clear).toFixed(1) + '"></line>';
      }
      return out;
    }).join('');
    return '<svg class="chart" viewBox="0 0 300 56" preserveAspectRatio="none">' + lines + '<polyline points="' +
      points.map(function (p) { return x(p[0]).toFixed(1) + ',' + y(p[1]).toFixed(1); }).join(' ') + '"></polyline></svg>';
  }

  function limit(v) { return Number.isInteger(v) ? String(v) : fmt(v); }

  function legend(thresholds) {
    var box = el('div', 'legend');
    thresholds.forEach(function (t) {
      var item = el('span', 'legend-item ' + (t.severity === 'critical' ? 'critical' : 'warning'));
      item.appendChild(el('span', 'swatch'));
      item.appendChild(document.createTextNode(t.severity + ' at ' + limit(t.value) + (t.clear !== null && t.clear !== t.value ? ', clears at ' + limit(t.clear) : '')));
      box.appendChild(item);
    });
    return box;
  }

  // The cloud stores alert events, not manifests: a raise carries the threshold crossed, a clear the value it
  // cleared at. Those seen in the last day are the lines drawn, per model output and severity.
  function thresholdsFrom(alerts) {
    var by = {};
    alerts.slice().sort(function (a, b) { return a.ts - b.ts; }).forEach(function (a) {
      var k = a.model + '/' + a.output;
      var m = by[k] || (by[k] = {});
      var t = m[a.severity] || (m[a.severity] = { severity: a.severity, value: null, clear: null });
      if (a.state === 'raised') t.value = a.threshold; else t.clear = a.threshold;
    });
    var out = {};
    Object.keys(by).forEach(function (k) {
      out[k] = Object.keys(by[k]).map(function (sev) { return by[k][sev]; }).filter(function (t) { return t.value !== null; })
        .sort(function (a, b) { return rank(a.severity) - rank(b.severity); });
    });
    return out;
  }

  var RANK = { critical: 0, warning: 1 };
  function rank(severity) { return severity in RANK ? RANK[severity] : 1; }
  function severityOf(open) {
    if (!open.length) return null;
    return open.some(function (a) { return a.severity === 'critical'; }) ? 'critical' : 'warning';
  }
  function badges(open) {
    var box = el('span', 'badges');
    var counts = {};
    open.forEach(function (a) { counts[a.severity] = (counts[a.severity] || 0) + 1; });
    Object.keys(counts).sort(function (a, b) { return rank(a) - rank(b); }).forEach(function (sev) {
      box.appendChild(el('span', 'badge ' + (sev === 'critical' ? 'critical' : 'warning'), counts[sev] + ' ' + sev));
    });
    return box;
  }

  // Open alerts: the latest event of each alert id is a raise (the store keeps raise and clear events).
  function openAlerts(alerts) {
    var byId = new Map();
    alerts.forEach(function (a) { byId.set(a.id, a); });
    return Array.from(byId.values()).filter(function (a) { return a.state === 'raised'; });
  }

  function show(which) {
    ['login', 'fleet', 'gateway'].forEach(function (id) { $('#' + id).hidden = id !== which; });
    $('#logout').hidden = which === 'login';
  }

  function loginNeeded(message) {
    if (timer) { clearTimeout(timer); timer = null; }
    sessionStorage.removeItem(KEY);
    $('#login-error').textContent = message || '';
    $('#crumb').textContent = '';
    show('login');
  }

  function renderFleet(gateways, alerts, now) {
    var tbody = $('#gateways tbody');
    tbody.textContent = '';
    $('#empty').hidden = gateways.length > 0;
    gateways.forEach(function (g) {
      var hb = g.heartbeat || {};
      var tr = el('tr');
      tr.setAttribute('data-gateway', g.id);
      var name = el('td');
      var link = el('a', null, g.id);
      link.href = '#gateway=' + encodeURIComponent(g.id);
      name.appendChild(link);
      tr.appendChild(name);
      var st = statusOf(g);
      var status = el('td', 'status status-' + st, st);
      status.setAttribute('data-status', st);
      tr.appendChild(status);
      tr.appendChild(el('td', null, g.lastHeartbeatAt ? ago(now - g.lastHeartbeatAt) + ' ago' : 'never'));
      tr.appendChild(el('td', null, g.backlog ? g.backlog.pending : '–'));
      tr.appendChild(el('td', null, g.backlog && g.backlog.oldestPendingAgeMs !== null ? ago(g.backlog.oldestPendingAgeMs) : '–'));
      tr.appendChild(el('td', null, hb.ingestRate !== undefined ? fmt(hb.ingestRate) : '–'));
      tr.appendChild(el('td', null, (hb.models || []).map(function (m) { return m.model + ' ' + m.version; }).join(', ') || '–'));
      var open = openAlerts(alerts.filter(function (a) { return a.gatewayId === g.id; }));
      var sev = severityOf(open);
      if (sev) tr.setAttribute('data-severity', sev);
      var alertCell = el('td', 'open-alerts');
      if (open.length) alertCell.appendChild(badges(open)); else alertCell.textContent = 'none';
      tr.appendChild(alertCell);
      tbody.appendChild(tr);
    });
  }

  function loadFleet() {
    var now = Date.now();
    return Promise.all([
      api('/api/v1/gateways'),
      api('/api/v1/alerts?limit=5000&from=' + (now - 24 * 3600000)),
    ]).then(function (r) {
      show('fleet');
      $('#crumb').textContent = '';
      renderFleet(r[0].gateways, r[1].alerts, Date.now());
    });
  }

  function assetCard(asset, sensors, scoredSensor, id, now, open, thresholds) {
    var card = el('article', 'asset');
    card.setAttribute('data-asset', asset);
    var sev = severityOf(open);
    card.setAttribute('data-severity', sev || 'healthy');
    var title = el('h3');
    title.appendChild(el('span', 'name', asset));
    open.forEach(function (a) {
      title.appendChild(el('span', 'badge ' + (a.severity === 'critical' ? 'critical' : 'warning'), a.severity + ': ' + a.output.replace(/_/g, ' ')));
    });
    card.appendChild(title);
    var outputs = el('div');
    card.appendChild(outputs);
    var pick = el('label', 'sensor-pick', 'Sensor ');
    var select = el('select');
    sensors.forEach(function (s) { var o = el('option', null, s); o.value = s; select.appendChild(o); });
    select.value = chosen.get(asset) || scoredSensor || sensors[0];
    pick.appendChild(select);
    var value = el('span', 'value');
    pick.appendChild(value);
    card.appendChild(pick);
    var sensorChart = el('div');
    card.appendChild(sensorChart);
    var base = '/api/v1/readings?limit=5000&gatewayId=' + encodeURIComponent(id) + '&asset=' + encodeURIComponent(asset) + '&from=' + (now - 600000);
    function drawSensor() {
      chosen.set(asset, select.value);
      api(base + '&sensor=' + encodeURIComponent(select.value)).then(function (r) {
        var pts = r.readings.map(function (x) { return [x.ts, x.value]; });
        value.textContent = pts.length ? fmt(pts[pts.length - 1][1]) : '–';
        sensorChart.innerHTML = chart(pts, []);
      }).catch(function () {});
    }
    select.addEventListener('change', drawSensor);
    drawSensor();
    if (scoredSensor) {
      api(base + '&sensor=' + encodeURIComponent(scoredSensor)).then(function (r) {
        var series = new Map();
        r.readings.forEach(function (x) {
          (x.scores || []).forEach(function (s) {
            var k = s.model + '/' + s.output;
            if (!series.has(k)) series.set(k, { model: s.model, version: s.version, output: s.output, points: [] });
            series.get(k).points.push([x.ts, s.value]);
          });
        });
        Array.from(series.keys()).sort().forEach(function (k) {
          var s = series.get(k);
          var row = el('div', 'row');
          row.setAttribute('data-output', s.output);
          row.appendChild(el('span', null, s.output.replace(/_/g, ' ') + ' (' + s.model + ' ' + s.version + ')'));
          row.appendChild(el('strong', null, fmt(s.points[s.points.length - 1][1])));
          outputs.appendChild(row);
          var lines = thresholds[s.model + '/' + s.output] || [];
          outputs.insertAdjacentHTML('beforeend', chart(s.points, lines));
          if (lines.length) outputs.appendChild(legend(lines));
        });
      }).catch(function () {});
    }
    return card;
  }

  function loadGateway(id) {
    var now = Date.now();
    return Promise.all([
      api('/api/v1/gateways'),
      api('/api/v1/alerts?limit=5000&gatewayId=' + encodeURIComponent(id) + '&from=' + (now - 24 * 3600000)),
      api('/api/v1/readings?limit=5000&gatewayId=' + encodeURIComponent(id) + '&from=' + (now - 60000)),
    ]).then(function (r) {
      show('gateway');
      $('#crumb').textContent = '› ' + id;
      var g = r[0].gateways.filter(function (x) { return x.id === id; })[0];
      if (!g) { $('#gw-status').textContent = 'unknown gateway'; return; }
      var hb = g.heartbeat || {};
      var st = statusOf(g);
      $('#gw-status').textContent = st;
      $('#gw-status').className = 'big status-' + st;
      $('#gw-heartbeat').textContent = g.lastHeartbeatAt ? 'last heartbeat ' + ago(now - g.lastHeartbeatAt) + ' ago' : 'no heartbeat yet';
      $('#gw-backlog').textContent = g.backlog ? g.backlog.pending + ' readings' : '–';
      $('#gw-sync').textContent = (g.backlog && g.backlog.oldestPendingAgeMs ? 'lag ' + ago(g.backlog.oldestPendingAgeMs) + ' · ' : '') +
        (g.lastSyncAt ? 'last batch ' + ago(now - g.lastSyncAt) + ' ago' : 'no batch yet');
      $('#gw-rate').textContent = hb.ingestRate !== undefined ? fmt(hb.ingestRate) + ' readings/s' : '–';
      $('#gw-models').textContent = (hb.models || []).map(function (m) { return m.model + ' ' + m.version; }).join(', ');
      var list = $('#gw-alerts');
      list.textContent = '';
      var open = openAlerts(r[1].alerts);
      if (!open.length) list.appendChild(el('li', 'muted', 'none'));
      open.forEach(function (a) {
        list.appendChild(el('li', a.severity, a.asset + ': ' + a.severity + ' — ' + a.output.replace(/_/g, ' ') + ' ' + fmt(a.value) +
          ' (threshold ' + limit(a.threshold) + ', ' + a.model + ') ' + ago(now - a.ts) + ' ago'));
      });
      var assets = new Map(), scored = new Map();
      r[2].readings.forEach(function (x) {
        if (!assets.has(x.asset)) assets.set(x.asset, new Set());
        assets.get(x.asset).add(x.sensor);
        if (x.scores && x.scores.length) scored.set(x.asset, x.sensor);
      });
      var box = $('#gw-assets');
      box.textContent = '';
      var openOf = new Map();
      open.forEach(function (a) { if (!openOf.has(a.asset)) openOf.set(a.asset, []); openOf.get(a.asset).push(a); });
      var lines = thresholdsFrom(r[1].alerts);
      // As on the gateway's own page: alerting assets first (critical, then warning), then by name.
      var order = function (a) { var s = severityOf(openOf.get(a) || []); return s === 'critical' ? 0 : s ? 1 : 2; };
      var names = Array.from(assets.keys()).sort(function (a, b) { return order(a) - order(b) || a.localeCompare(b, 'en', { numeric: true }); });
      if (!names.length) box.appendChild(el('p', 'muted', 'no readings stored in the last minute'));
      names.forEach(function (a) {
        var sensors = Array.from(assets.get(a)).sort(function (x, y) { return x.localeCompare(y, 'en', { numeric: true }); });
        box.appendChild(assetCard(a, sensors, scored.get(a), id, now, openOf.get(a) || [], lines));
      });
    });
  }

  function route() {
    if (timer) { clearTimeout(timer); timer = null; }
    if (!sessionStorage.getItem(KEY)) return loginNeeded('');
    var m = /^#gateway=(.+)$/.exec(location.hash);
    var load = m ? function () { return loadGateway(decodeURIComponent(m[1])); } : loadFleet;
    var tick = function () {
      load().then(function () {
        lastLoaded = Date.now();
        document.body.classList.remove('lost');
        $('#lost').hidden = true;
        $('#updated').textContent = 'updated ' + new Date().toLocaleTimeString();
        timer = setTimeout(tick, m ? REFRESH_MS * 3 : REFRESH_MS);
      }, function (err) {
        if (err.auth) return loginNeeded(err.message);
        $('#updated').textContent = 'cloud not answering (' + err.message + '); retrying';
        // What is on screen is from the last good load: grey it and say so, as the gateway's page does.
        if (lastLoaded) {
          document.body.classList.add('lost');
          $('#lost').textContent = 'connection to the cloud lost — figures are from ' + new Date(lastLoaded).toLocaleTimeString();
          $('#lost').hidden = false;
        }
        timer = setTimeout(tick, REFRESH_MS);
      });
    };
    tick();
  }

  document.addEventListener('DOMContentLoaded', function () {
    var m = /^#key=(.+)$/.exec(location.hash);
    if (m) {
      sessionStorage.setItem(KEY, decodeURIComponent(m[1]));
      history.replaceState(null, '', location.pathname);
    }
    $('#login-form').addEventListener('submit', function (e) {
      e.preventDefault();
      sessionStorage.setItem(KEY, e.target.key.value.trim());
      e.target.key.value = '';
      route();
    });
    $('#logout').addEventListener('click', function () { loginNeeded(''); location.hash = ''; });
    window.addEventListener('hashchange', route);
    route();
  });
})();
