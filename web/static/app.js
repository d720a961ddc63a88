// schakel: a little progressive JavaScript. The pages work without it; with
// it, irreversible actions ask first (data-confirm, or a consent form with
// nothing ticked: data-withdraw-ask; the form then says
// confirm=yes, so the server skips its own confirmation page), a form
// cannot be sent twice, and a BSN field says as you type whether the
// number passes the elfproef (the server checks it again).
'use strict';
document.documentElement.classList.add('js');
document.addEventListener('submit', function (ev) {
  var f = ev.target;
  var ask = f.getAttribute('data-confirm');
  if (f.dataset.sent) {
    ev.preventDefault();
    return;
  }
  // a consent form with nothing ticked withdraws the consent: ask that
  var withdraw = f.querySelector('[data-withdraw-ask]');
  if (!ask && withdraw && !f.querySelector('input[name=flag]:checked') &&
      (f.querySelector('select[name=basis]') || {}).value !== 'statutory')
    ask = withdraw.getAttribute('data-withdraw-ask');
  if (ask) {
    if (!window.confirm(ask)) {
      ev.preventDefault();
      return;
    }
    if (!f.querySelector('input[name=confirm]')) {
      var c = document.createElement('input');
      c.type = 'hidden';
      c.name = 'confirm';
      c.value = 'yes';
      f.appendChild(c);
    }
  }
  if ((f.getAttribute('method') || '').toLowerCase() === 'post') {
    f.dataset.sent = '1';
    f.querySelectorAll('button[type=submit], button:not([type])').forEach(function (b) {
      b.disabled = true;
      b.setAttribute('aria-busy', 'true');
    });
  }
});
// a page restored from the back/forward cache gets its buttons back
window.addEventListener('pageshow', function (ev) {
  if (!ev.persisted) return;
  document.querySelectorAll('form[data-sent]').forEach(function (f) {
    delete f.dataset.sent;
    f.querySelectorAll('button').forEach(function (b) { b.disabled = false; b.removeAttribute('aria-busy'); });
  });
});
// basis "statutory" needs a reason: show the field only then
document.querySelectorAll('select[name=basis]').forEach(function (s) {
  var reason = s.form && s.form.querySelector('.reason');
  if (!reason) return;
  var sync = function () { reason.hidden = s.value !== 'statutory'; };
  s.addEventListener('change', sync);
  sync();
});
// the elfproef: 9*d1 + 8*d2 + ... + 2*d8 - d9 is a multiple of 11, not zero
function elfproef(v) {
  if (!/^[0-9]{9}$/.test(v) || v === '000000000') return false;
  var sum = 0;
  for (var i = 0; i < 8; i++) sum += (9 - i) * Number(v[i]);
  sum -= Number(v[8]);
  return sum % 11 === 0;
}
var nl = document.documentElement.lang !== 'en';
document.querySelectorAll('input[data-bsn]').forEach(function (el) {
  var hint = document.getElementById(el.getAttribute('aria-describedby') || '');
  if (!hint) return;
  var plain = hint.textContent;
  var check = function () {
    var v = el.value.trim();
    var msg = plain, bad = false;
    if (v.length === 9 && /^[0-9]+$/.test(v)) {
      bad = !elfproef(v);
      msg = bad ? (nl ? 'Dit is geen geldig BSN: controleer de negen cijfers.'
        : 'This is not a valid BSN: check the nine digits.')
        : (nl ? 'Dit BSN is geldig.' : 'This BSN is valid.');
    } else if (v.length > 0 && (/[^0-9]/.test(v) || v.length > 9)) {
      bad = true;
      msg = nl ? 'Een BSN heeft precies negen cijfers.' : 'A BSN has exactly nine digits.';
    }
    hint.textContent = msg;
    hint.classList.toggle('error', bad);
    el.setAttribute('aria-invalid', bad ? 'true' : 'false');
    el.setCustomValidity(bad ? msg : '');
  };
  el.addEventListener('input', check);
});
