(function () {
  'use strict';
  var holder = document.getElementById('coroner-data');
  if (!holder) { return; }
  var data = JSON.parse(holder.textContent);

  window.addEventListener('beforeprint', function () {
    var ds = document.querySelectorAll('details');
    for (var i = 0; i < ds.length; i++) { ds[i].open = true; }
  });

  var fl = data.flame;
  var svg = document.getElementById('flame-svg');
  if (!fl || !svg) { return; }
  var W = fl.width, CW = fl.char_width, PAD = fl.pad;
  var n = fl.nodes.length;
  var name = [], val = [], dep = [], off = [], end = [], g = [];
  for (var i = 0; i < n; i++) {
    var nd = fl.nodes[i];
    name.push(fl.names[nd[0]]); val.push(nd[1]); dep.push(nd[2]); off.push(nd[3]);
  }
  // end[i] is one past the last node of i's subtree (nodes are in preorder).
  var stack = [];
  for (i = 0; i < n; i++) {
    while (stack.length && dep[stack[stack.length - 1]] >= dep[i]) { end[stack.pop()] = i; }
    stack.push(i);
  }
  while (stack.length) { end[stack.pop()] = n; }
  var gs = svg.querySelectorAll('g[data-i]');
  for (i = 0; i < gs.length; i++) { g[+gs[i].getAttribute('data-i')] = gs[i]; }

  var total = fl.total > 0 ? fl.total : 1;
  var detail = document.getElementById('flame-detail');
  var matchOut = document.getElementById('flame-match');
  var search = document.getElementById('flame-search');
  var zoomed = 0;

  function pct(a, b) { return b > 0 ? (a * 100 / b).toFixed(2) + '%' : '?'; }
  function amount(v) {
    if (fl.unit === 'ns') { return (v / 1e6).toFixed(v >= 1e7 ? 0 : 2) + ' ms'; }
    if (fl.unit === 'samples') { return v + ' samples'; }
    return String(v);
  }
  function label(s, w) {
    var k = Math.floor((w - 2 * PAD) / CW);
    if (k < 3) { return ''; }
    return s.length <= k ? s : s.slice(0, k - 1) + '\u2026';
  }
  function place(i, x, w) {
    var el = g[i];
    if (!el) { return; }
    el.classList.remove('hidden');
    var r = el.querySelector('rect'), t = el.querySelector('text');
    r.setAttribute('x', x.toFixed(2));
    r.setAttribute('width', Math.max(w, 0).toFixed(2));
    if (t) { t.setAttribute('x', (x + PAD).toFixed(2)); t.textContent = label(name[i], w); }
  }
  function zoom(z) {
    zoomed = z;
    var zx = off[z], zw = val[z] > 0 ? val[z] : 1;
    for (var j = 0; j < n; j++) {
      if (j >= z && j < end[z]) {
        place(j, (off[j] - zx) / zw * W, val[j] / zw * W);
      } else if (j < z && end[j] > z) {
        place(j, 0, W);
      } else if (g[j]) {
        g[j].classList.add('hidden');
      }
    }
  }
  function parentOf(i) {
    for (var j = i - 1; j >= 0; j--) { if (dep[j] < dep[i]) { return j; } }
    return -1;
  }
  function describe(i) {
    var p = parentOf(i);
    var s = name[i] + ' \u2014 ' + amount(val[i]) + ', ' + pct(val[i], total) + ' of all';
    if (p >= 0) { s += ', ' + pct(val[i], val[p]) + ' of caller'; }
    return s;
  }
  function nodeOf(ev) {
    var el = ev.target;
    while (el && el !== svg) {
      if (el.getAttribute && el.hasAttribute('data-i')) { return +el.getAttribute('data-i'); }
      el = el.parentNode;
    }
    return -1;
  }
  svg.addEventListener('mouseover', function (ev) {
    var i = nodeOf(ev);
    if (i >= 0) { detail.textContent = describe(i); }
  });
  svg.addEventListener('click', function (ev) {
    var i = nodeOf(ev);
    if (i >= 0) { zoom(i === zoomed ? 0 : i); detail.textContent = describe(i); }
  });
  document.getElementById('flame-reset').addEventListener('click', function () { zoom(0); });
  search.addEventListener('input', function () {
    var q = search.value.toLowerCase(), sum = 0, coveredTo = -1, hits = 0;
    for (var j = 0; j < n; j++) {
      var hit = q !== '' && name[j].toLowerCase().indexOf(q) >= 0;
      if (g[j]) { g[j].classList.toggle('hit', hit); }
      if (hit) {
        hits++;
        if (j >= coveredTo) { sum += val[j]; coveredTo = end[j]; }
      }
    }
    matchOut.textContent = q === '' ? '' : hits + ' frames match, ' + pct(sum, total) + ' of samples';
  });
  window.coronerFlame = { zoom: zoom, names: name, depths: dep, values: val };
})();
