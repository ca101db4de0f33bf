/**
 * The page's own script: reads the JSON data block and draws every `[data-chart]` container with
 * the inlined ECharts (SVG renderer). Plain ES5-style JS kept as a string so the page needs nothing
 * but itself; no template literals inside (this file wraps it in one).
 */
export const CLIENT_JS = String.raw`
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('espbench-data').textContent);
  var K = data.mbitPerKiB;
  var FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif';
  var charts = [];

  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
    });
  }
  function num(v, d) { return v === null || v === undefined || !isFinite(v) ? '-' : Number(v).toFixed(d); }
  function both(kib) { return num(kib, 1) + ' KiB/s (' + num(kib * K, 2) + ' Mbit/s)'; }
  function pad2(n) { return (n < 10 ? '0' : '') + n; }
  function time(ms) {
    var d = new Date(ms);
    return d.getUTCFullYear() + '-' + pad2(d.getUTCMonth() + 1) + '-' + pad2(d.getUTCDate()) + ' ' +
      pad2(d.getUTCHours()) + ':' + pad2(d.getUTCMinutes()) + ':' + pad2(d.getUTCSeconds()) + ' UTC';
  }
  function rgba(hex, a) {
    var h = parseInt(hex.slice(1), 16);
    return 'rgba(' + ((h >> 16) & 255) + ',' + ((h >> 8) & 255) + ',' + (h & 255) + ',' + a + ')';
  }
  function onStep(v, step) { return Math.abs(v / step - Math.round(v / step)) < 1e-6; }
  function trimNum(v) { return String(Math.round(v * 1000) / 1000); }

  /** KiB/s on the left, Mbit/s on the right: the same throughput range on both. */
  function yAxes(y) {
    var common = { type: 'value', nameLocation: 'middle', nameTextStyle: { fontWeight: 'bold', color: '#222' }, axisLine: { show: true, lineStyle: { color: '#555' } }, axisTick: { show: true }, axisLabel: { color: '#333' } };
    return [
      Object.assign({}, common, { name: 'KiB/s', nameGap: 48, position: 'left', min: y.min, max: y.max, interval: y.step,
        axisLabel: Object.assign({}, common.axisLabel, { formatter: function (v) { return trimNum(v); } }), splitLine: { lineStyle: { color: '#e3e3e3' } } }),
      // ECharts picks round Mbit/s ticks inside the fixed range; the range's own ends are labelled only when round.
      Object.assign({}, common, { name: 'Mbit/s', nameGap: 42, position: 'right', min: y.mbitMin, max: y.mbitMax, splitNumber: 5,
        axisLabel: Object.assign({}, common.axisLabel, { formatter: function (v) {
          var end = Math.abs(v - y.mbitMin) < 1e-9 || Math.abs(v - y.mbitMax) < 1e-9;
          return end && !onStep(v, y.mbitStep) ? '' : trimNum(v);
        } }), splitLine: { show: false } }),
    ];
  }

  function base(title, subtitle) {
    return {
      animation: false,
      useUTC: true,
      textStyle: { fontFamily: FONT },
      title: { text: title, subtext: subtitle || '', left: 8, top: 4, textStyle: { fontSize: 14, color: '#111' }, subtextStyle: { color: '#444' } },
      grid: { left: 72, right: 66, top: 78, bottom: 48 },
      tooltip: { trigger: 'item', confine: true },
    };
  }

  function timeAxis(name) {
    return { type: 'time', name: name, nameLocation: 'middle', nameGap: 28, nameTextStyle: { color: '#222' }, axisLine: { lineStyle: { color: '#555' } },
      axisLabel: { color: '#333', hideOverlap: true, formatter: { year: '{yyyy}', month: '{MMM} {yyyy}', day: '{MMM} {d}', hour: '{HH}:{mm}', minute: '{HH}:{mm}', second: '{HH}:{mm}:{ss}', millisecond: '{HH}:{mm}:{ss}.{SSS}' } },
      splitLine: { show: false } };
  }

  function boxChart(d) {
    var c = data.comparison;
    var sides = [c.baseline, c.candidate];
    var values = [d.baseline, d.candidate];
    var boxes = [d.box.baseline, d.box.candidate];
    var opt = base(d.chip + ' · ' + d.scenario,
      'ok results ' + d.baseline.length + ' / ' + d.candidate.length + ', failed ' + d.failed.baseline + ' / ' + d.failed.candidate);
    opt.legend = { show: false };
    opt.xAxis = { type: 'category', data: sides.map(function (s) { return s.label; }), jitter: 36, jitterOverlap: false,
      axisLabel: { color: '#222', fontWeight: 'bold', interval: 0, overflow: 'truncate', width: 180 }, axisLine: { lineStyle: { color: '#555' } } };
    opt.yAxis = yAxes(d.y);
    opt.tooltip.formatter = function (p) {
      if (p.seriesType === 'boxplot') {
        var b = boxes[p.dataIndex];
        return esc(sides[p.dataIndex].label) + '<br>median ' + esc(both(b[2])) + '<br>Q1 ' + num(b[1], 1) + ', Q3 ' + num(b[3], 1) + '<br>min ' + num(b[0], 1) + ', max ' + num(b[4], 1);
      }
      return esc(p.seriesName) + '<br>' + esc(both(p.value[1]));
    };
    opt.series = [{
      type: 'boxplot', name: 'box', boxWidth: [24, 70],
      data: boxes.map(function (b, i) {
        return b ? { value: b, itemStyle: { color: rgba(sides[i].colour, 0.18), borderColor: sides[i].colour, borderWidth: 2 } } : '-';
      }),
    }].concat(sides.map(function (s, i) {
      return { type: 'scatter', name: s.label, symbolSize: 8, itemStyle: { color: s.colour, opacity: 0.85, borderColor: '#fff', borderWidth: 1 },
        data: values[i].map(function (v) { return [i, v]; }) };
    }));
    return opt;
  }

  function timelineChart(d) {
    var opt = base(d.chip + ' · ' + d.scenario, 'host KiB/s of each ok result at its end time, one series per ref');
    var refs = {};
    d.series.forEach(function (s) { refs[s.name] = s.ref; });
    // Series are ref x chip x scenario; the panel's title says chip and scenario, the legend the ref.
    opt.legend = { top: 46, left: 8, right: 8, textStyle: { color: '#222' }, formatter: function (name) { return refs[name] || name; } };
    opt.xAxis = timeAxis('result end time');
    opt.yAxis = yAxes(d.y);
    opt.tooltip.formatter = function (p) {
      var pt = p.data;
      return esc(p.seriesName) + '<br>' + esc(time(pt[0])) + '<br>run ' + esc(pt[2]) + ' #' + esc(pt[3]) + '<br>' + esc(both(pt[1]));
    };
    opt.series = d.series.map(function (s) {
      return { type: 'line', name: s.name, data: s.points, symbol: 'circle', symbolSize: 7, showSymbol: true,
        itemStyle: { color: s.colour }, lineStyle: { color: s.colour, width: 1.5, opacity: 0.6 } };
    });
    return opt;
  }

  function detailChart(d) {
    var opt = base('Intervals of run ' + d.runId, d.chip + ' · ref ' + d.ref + ' · ' + d.device + ' (KiB/s per interval = bytes / 1024 / interval length)');
    opt.legend = { top: 46, left: 8, textStyle: { color: '#222' } };
    opt.xAxis = timeAxis('time');
    opt.yAxis = yAxes(d.y);
    opt.tooltip.formatter = function (p) {
      return esc(p.seriesName) + ' #' + esc(d.series[p.seriesIndex].iteration) + '<br>' + esc(time(p.data[0])) + '<br>' + esc(both(p.data[1]));
    };
    opt.series = d.series.map(function (s) {
      return { type: 'line', name: s.scenario, data: s.points, symbol: 'circle', symbolSize: 4, showSymbol: true, step: false,
        itemStyle: { color: s.colour }, lineStyle: { color: s.colour, width: 2, type: s.status === 'ok' ? 'solid' : 'dashed' } };
    });
    return opt;
  }

  function rssiChart(d) {
    var opt = base('Throughput vs RSSI', 'host KiB/s of each ok result against the RSSI its board reported');
    opt.legend = { top: 46, left: 8, right: 8, type: 'scroll', textStyle: { color: '#222' } };
    opt.grid.top = 90;
    opt.xAxis = { type: 'value', name: 'RSSI (dBm)', nameLocation: 'middle', nameGap: 28, nameTextStyle: { fontWeight: 'bold', color: '#222' },
      min: d.x.min, max: d.x.max, interval: 5, axisLine: { show: true, onZero: false, lineStyle: { color: '#555' } }, axisLabel: { color: '#333' }, splitLine: { lineStyle: { color: '#eee' } } };
    opt.yAxis = yAxes(d.y);
    opt.tooltip.formatter = function (p) {
      var pt = p.data;
      return esc(p.seriesName) + '<br>RSSI ' + esc(pt[0]) + ' dBm<br>run ' + esc(pt[2]) + ' #' + esc(pt[3]) + '<br>' + esc(both(pt[1]));
    };
    opt.series = d.series.map(function (s) {
      return { type: 'scatter', name: s.name, data: s.points, symbolSize: 8, itemStyle: { color: s.colour, opacity: 0.85, borderColor: '#fff', borderWidth: 1 } };
    });
    return opt;
  }

  var builders = {
    box: function (i) { return boxChart(data.distributions[i]); },
    timeline: function (i) { return timelineChart(data.timeline[i]); },
    detail: function () { return detailChart(data.detail); },
    rssi: function () { return rssiChart(data.rssi); },
  };

  var nodes = document.querySelectorAll('[data-chart]');
  for (var n = 0; n < nodes.length; n++) {
    var el = nodes[n];
    var chart = echarts.init(el, null, { renderer: 'svg' });
    chart.setOption(builders[el.getAttribute('data-chart')](Number(el.getAttribute('data-index') || 0)));
    el.setAttribute('data-rendered', 'true');
    charts.push(chart);
  }
  window.addEventListener('resize', function () { charts.forEach(function (c) { c.resize(); }); });
  document.documentElement.setAttribute('data-charts-rendered', String(charts.length));
})();
`;
