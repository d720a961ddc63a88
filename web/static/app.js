// schakel: a little progressive JavaScript. The pages work without it; with
// it, destructive actions ask first and a form cannot be sent twice.
'use strict';
document.addEventListener('submit', function (ev) {
  var f = ev.target;
  var ask = f.getAttribute('data-confirm');
  if (ask && !window.confirm(ask)) {
    ev.preventDefault();
    return;
  }
  if (f.getAttribute('method') === 'post') {
    if (f.dataset.sent) {
      ev.preventDefault();
      return;
    }
    f.dataset.sent = '1';
    f.querySelectorAll('button').forEach(function (b) { b.setAttribute('aria-busy', 'true'); });
  }
});
// basis "statutory" needs a reason: show the field only then
document.querySelectorAll('select[name=basis]').forEach(function (s) {
  var reason = s.form && s.form.querySelector('.reason');
  if (!reason) return;
  var sync = function () { reason.hidden = s.value !== 'statutory'; };
  s.addEventListener('change', sync);
  sync();
});
