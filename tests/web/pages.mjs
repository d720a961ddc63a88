// The node's web pages in headless Chromium (Debian's), against a real node
// (tests/e2e/web.sh sets it up): the professional's whole day (register a
// client with elfproef feedback, find clients by name and BSN, open a case
// with the age rule, assign a colleague, close with confirmation, look up
// partners, matches and notices, discussions from invitation to close),
// a keyboard-only and a no-JavaScript run of the core flow; the privacy
// officer's search, CSV export, report, review and verify. Every page is
// checked against docs/web.md (element ids, labels, html[lang], both
// languages), by axe-core (WCAG 2.1 A and AA: no violation), and on a
// Dutch page for English UI words and internal codes; each is written as
// a full-page PNG to $SHOTS/NAME.png. Altrecht's side of the flow runs its
// CLI. Any failure exits 1 with "FAIL: ...".
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

function env(k) {
  const v = process.env[k];
  if (!v) throw new Error(`${k} is not set (tests/e2e/web.sh sets it)`);
  return v;
}
const BASE = env('WEB_BASE');
const SHOTS = env('WEB_SHOTS');
const T = env('WEB_T');
const CHROMIUM = process.env.WEB_CHROMIUM || '/usr/bin/chromium';
const require = createRequire(path.join(env('WEB_MODULES'), 'package.json'));
const { chromium } = require('playwright-core');
const AXE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

const A = env('WEB_ORG_A'), B = env('WEB_ORG_B'), BSN = env('WEB_BSN');
const prof = { id: env('WEB_PROF'), name: env('WEB_PROF_NAME'), pw: env('WEB_PROF_PW') };
const prof2 = { id: env('WEB_PROF2'), name: env('WEB_PROF2_NAME'), pw: env('WEB_PROF2_PW') };
const po = { id: env('WEB_PO'), name: env('WEB_PO_NAME'), pw: env('WEB_PO_PW') };
const profB = env('WEB_PROFB');

class Fail extends Error {}
const fail = (msg) => { throw new Fail(msg); };
const ok = (msg) => console.log(`ok - ${msg}`);
// A form's submit control, button[type=submit] in docs/web.md.
const SUBMIT = ' :is(button:not([type]), button[type=submit], input[type=submit])';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// B's side of the flow: its CLI, diagnostics into $T/node.log.
function cliB(...args) {
  const log = fs.openSync(path.join(T, 'node.log'), 'a');
  try {
    return execFileSync(env('SK_NODE'), [...args, '--dir', path.join(T, B), '--dev'],
      { cwd: T, stdio: ['ignore', 'pipe', log], encoding: 'utf8' }).trim();
  } catch (e) {
    fail(`${B}: schakel-node ${args.join(' ')} failed (exit ${e.status}); see ${T}/node.log`);
  } finally {
    fs.closeSync(log);
  }
}

// until(what, fn): fn() until it returns a truthy value, at most secs.
async function until(what, fn, secs = 30) {
  const end = Date.now() + secs * 1000;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) fail(`${what}: not within ${secs} s`);
    await sleep(500);
  }
}

// RFC 4180 rows (quoted fields with commas, quotes and line breaks).
function parseCsv(text) {
  const rows = [];
  let row = [], f = '', q = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (q) {
      if (c === '"' && text[i + 1] === '"') { f += '"'; i++; } else if (c === '"') q = false; else f += c;
    } else if (c === '"') q = true;
    else if (c === ',') { row.push(f); f = ''; }
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(f); rows.push(row); row = []; f = '';
    } else f += c;
  }
  if (f !== '' || row.length) { row.push(f); rows.push(row); }
  if (!rows.length) fail('the CSV export is empty');
  return rows;
}

const shot = async (page, name) => {
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
};

const jsErrors = [];
async function newSession(browser) {
  // a Dutch browser, as the organisations' professionals have
  const ctx = await browser.newContext({ acceptDownloads: true, locale: 'nl-NL' });
  const page = await ctx.newPage();
  page.setDefaultTimeout(15000);
  page.on('pageerror', (e) => jsErrors.push(`${page.url()}: ${e.message}`));
  return { ctx, page };
}

async function go(page, p, want = 200) {
  const res = await page.goto(BASE + p);
  if (!res) fail(`GET ${p}: no response`);
  if (res.status() !== want) fail(`GET ${p}: status ${res.status()}, want ${want} (now at ${page.url()})`);
  return res;
}

const pathOf = (page) => new URL(page.url()).pathname;
// where a page is and what it says, for a failure message
const where = async (page) =>
  `${page.url()}: ${JSON.stringify((await page.innerText('body').catch(() => '')).slice(0, 300))}`;

// The accessibility basics of docs/web.md: html[lang], a label for every
// field; for a signed-in page the skip link, nav, name, sign-out and
// language link.
async function checkPage(page, what, { lang, name } = {}) {
  const r = await page.evaluate(() => {
    const fields = [...document.querySelectorAll('input, select, textarea')].filter((el) =>
      !(el.tagName === 'INPUT' && ['hidden', 'submit', 'button', 'reset', 'image'].includes(el.type)));
    const txt = (s) => (s || '').replace(/\s+/g, ' ').trim();
    const unlabelled = fields.filter((el) => {
      if ([...(el.labels || [])].some((l) => txt(l.textContent))) return false;
      if (txt(el.getAttribute('aria-label'))) return false;
      const by = el.getAttribute('aria-labelledby');
      if (by && by.split(/\s+/).some((id) => txt(document.getElementById(id)?.textContent))) return false;
      return true;
    }).map((el) => el.outerHTML.slice(0, 120));
    const first = document.querySelector('body a[href]');
    const skip = first && first.getAttribute('href').startsWith('#') &&
      document.getElementById(first.getAttribute('href').slice(1)) !== null;
    return {
      lang: document.documentElement.getAttribute('lang'),
      unlabelled, skip: !!skip,
      nav: !!document.querySelector('nav'),
      signout: !!document.querySelector('form#signout'),
      langLink: document.querySelector('a#lang')?.getAttribute('href') || null,
      text: document.body.innerText,
      message: document.querySelector('#message') ?
        [document.querySelector('#message').tagName, document.querySelector('#message').getAttribute('role')] : null,
    };
  });
  if (!['nl', 'en'].includes(r.lang)) fail(`${what}: html[lang] is ${JSON.stringify(r.lang)}, want nl or en`);
  if (lang && r.lang !== lang) fail(`${what}: html[lang] is ${r.lang}, want ${lang}`);
  if (r.unlabelled.length) fail(`${what}: fields without a label: ${r.unlabelled.join(' | ')}`);
  if (r.message && !(r.message[0] === 'P' && ['status', 'alert'].includes(r.message[1])))
    fail(`${what}: #message is <${r.message[0]} role=${r.message[1]}>, want <p role=status|alert>`);
  if (name) {
    if (!r.skip) fail(`${what}: the first link is not a skip link to an element of the page`);
    if (!r.nav) fail(`${what}: no <nav>`);
    if (!r.signout) fail(`${what}: no form#signout`);
    if (!r.langLink) fail(`${what}: no a#lang`);
    const other = r.lang === 'nl' ? 'en' : 'nl';
    if (!r.langLink.includes(`lang=${other}`)) fail(`${what}: a#lang (${r.langLink}) does not switch to ${other}`);
    if (!r.text.includes(name)) fail(`${what}: the signed-in name ${name} is not shown`);
  }
  return r;
}


// axe-core (tests/web/package.json) on the page as it is: WCAG 2.0 and 2.1,
// levels A and AA. Evaluated through the DevTools protocol, so the pages'
// CSP (script-src 'self') stays as it is.
const axeSeen = new Set();
async function axe(page, what) {
  await page.evaluate(AXE);
  const r = await page.evaluate(() => window.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
  }));
  if (r.violations.length)
    fail(`${what}: axe-core finds ${r.violations.length} WCAG violation(s): ` + r.violations.map((v) =>
      `${v.id} (${v.impact}): ${v.help} at ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`).join(' | '));
  axeSeen.add(what);
}

// A Dutch page shows no English UI word and no internal code. The words
// are matched whole, case-insensitive, in the visible text outside
// elements marked lang="en" (the language link) and outside what people
// wrote (messages, outcomes, notes).
const NOT_DUTCH = ['discover', 'contact', 'discuss', 'consent', 'statutory', 'closed', 'open',
  'expired', 'after-hours', 'privacy-officer', 'privacy officer', 'summary', 'message', 'messages',
  'client', 'parent', 'guardian', 'representative', 'case', 'cases', 'lookup', 'match', 'matches',
  'notice', 'notices', 'invitation', 'accepted', 'declined', 'requester', 'participant', 'none',
  'denied', 'sign in', 'sign out', 'submit', 'search', 'export', 'report', 'review', 'verify', 'record',
  'records', 'outcome', 'event', 'action', 'user', 'role', 'time', 'purpose', 'topic', 'state',
  'disclosure', 'pattern', 'true', 'false', 'null', 'undefined', 'error', 'failed', 'cannot', 'nobody',
  'the', 'and', 'not', 'with', 'yet'];
const NOT_DUTCH_RE = [
  // "contact" is Dutch too in "neem contact op": only the flag code is not
  ...NOT_DUTCH.map((w) => [w, new RegExp(`(^|[^\\p{L}\\p{N}_.-])${w.replace(/ /g, '\\s+')}(?=$|[^\\p{L}\\p{N}_-])${w === 'contact' ? '(?!\\s+op\\b)' : ''}`, 'iu')]),
  ['c-<digits> (a local client id)', /(^|[^\p{L}\p{N}])c-\d+\b/u],
  ['a dotted event code', /\b[a-z]+\.(list|show|open|add|find|lookup|send|close|accept|decline)\b/],
  ['an ISO date', /\b\d{4}-\d{2}-\d{2}\b/],
];
async function dutchOnly(page, what) {
  const text = await page.evaluate(() => {
    const b = document.body.cloneNode(true);
    b.querySelectorAll('[lang=en], article.message > p, pre, script, style, [hidden], .user-text, input, textarea')
      .forEach((e) => e.remove());
    return b.innerText !== undefined && b.innerText !== '' ? b.innerText : b.textContent;
  });
  const found = NOT_DUTCH_RE.filter(([, re]) => re.test(text)).map(([w, re]) => `${w} ("${text.match(re)[0].trim()}")`);
  if (!found.length) return;
  fail(`${what}: English or internal codes on a Dutch page: ${found.join(', ')}`);
}

// A page as every page is checked: checkPage, axe, and for Dutch the words.
async function visit(page, what, opts = {}) {
  const r = await checkPage(page, what, opts);
  await axe(page, what);
  if (r.lang === 'nl') await dutchOnly(page, what);
  return r;
}

// A valid BSN (the elfproef) not used elsewhere: 9 digits from seed.
function bsnFrom(seed) {
  for (let n = seed; ; n++) {
    const d = String(n).padStart(8, '0').slice(-8).split('').map(Number);
    let sum = 0;
    for (let i = 0; i < 8; i++) sum += (9 - i) * d[i];
    const last = sum % 11;
    if (last <= 9 && !(d.every((x) => x === 0) && last === 0)) return d.join('') + last;
  }
}

async function signIn(page, who) {
  await go(page, '/signin');
  await page.fill('form#signin input#professional', who.id);
  await page.fill('form#signin input#password', who.pw);
  await Promise.all([page.waitForNavigation(), page.click('form#signin button[type=submit]')]);
}

async function run() {
  fs.mkdirSync(SHOTS, { recursive: true });
  if (!fs.existsSync(CHROMIUM)) fail(`${CHROMIUM} is missing: scripts/deps.sh (make deps, as root) installs chromium`);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
  const current = { page: null };
  try {
    await flow(browser, current);
  } catch (e) {
    if (current.page) await shot(current.page, 'FAIL').catch(() => {});
    throw e;
  } finally {
    await browser.close();
  }
}

async function flow(browser, current) {
  // ---- the professional -------------------------------------------------
  const { ctx, page } = await newSession(browser);
  current.page = page;
  await page.goto(BASE + '/cases');
  if (pathOf(page) !== '/signin') fail(`/cases without a session ended at ${page.url()}, want /signin`);
  for (const sel of ['form#signin', 'form#signin input#professional', 'form#signin input#password',
    'form#signin button[type=submit]'])
    if (!(await page.$(sel))) fail(`/signin: no ${sel}`);
  await visit(page, '/signin');
  await shot(page, 'signin');

  await page.fill('input#professional', prof.id);
  await page.fill('input#password', prof.pw + 'x');
  await Promise.all([page.waitForNavigation(), page.click('form#signin button[type=submit]')]);
  if (pathOf(page) !== '/signin') fail(`a wrong password ended at ${await where(page)}, want /signin`);
  const alert = await page.$('p#message[role=alert]');
  if (!alert || !(await alert.innerText()).trim()) fail('a wrong password shows no p#message[role=alert]');
  await visit(page, '/signin after a wrong password');
  await shot(page, 'signin-error');
  ok('without a session /cases leads to /signin; a wrong password is told in p#message[role=alert]');

  await signIn(page, prof);
  if (pathOf(page) !== '/cases') fail(`${prof.id} signed in and landed at ${await where(page)}, want /cases`);
  const cookie = (await ctx.cookies()).find((c) => c.name === 'schakel_session');
  if (!cookie) fail('no schakel_session cookie after sign-in');
  if (!/^[0-9a-f]{64}$/.test(cookie.value)) fail(`the session id is not 32 bytes hex: ${cookie.value.length} chars`);
  if (!cookie.httpOnly || cookie.sameSite !== 'Strict' || cookie.path !== '/')
    fail(`schakel_session: httpOnly ${cookie.httpOnly}, sameSite ${cookie.sameSite}, path ${cookie.path}`);
  if (!(await page.$('meta[name=csrf][content]'))) fail('/cases: no <meta name="csrf" content=...>');
  await visit(page, '/cases', { name: prof.name });
  for (const sel of ['table#cases', 'form#case-open', 'form#case-open input#client', 'select#consent_by',
    'select#basis', 'input#reason', 'input#expires', 'fieldset#categories', 'a#to-clients', '#age-rule'])
    if (!(await page.$(sel))) fail(`/cases: no ${sel}`);
  // the assets go out with their types, and Chromium runs app.js (it marks <html class="js">)
  for (const [asset, type] of [['/static/app.css', 'text/css'], ['/static/app.js', 'text/javascript']]) {
    const res = await ctx.request.get(BASE + asset);
    const ct = res.headers()['content-type'] || '';
    if (res.status() !== 200 || !ct.startsWith(type) || !/charset=utf-8/i.test(ct))
      fail(`GET ${asset}: ${res.status()}, Content-Type ${JSON.stringify(ct)}, want ${type}; charset=utf-8`);
  }
  if (!(await page.evaluate(() => document.documentElement.classList.contains('js'))))
    fail('app.js did not run on /cases (no <html class="js">)');
  const csrfFields = await page.$$eval('form[method=post i]', (fs) =>
    fs.filter((f) => !f.querySelector('input[name=csrf]')).map((f) => f.id || f.action));
  if (csrfFields.length) fail(`/cases: post forms without a csrf field: ${csrfFields.join(', ')}`);
  await shot(page, 'cases');
  ok(`${prof.id} signs in and lands on /cases; the session cookie is HttpOnly, SameSite=Strict`);

  // open a case for the client altrecht also has a case for
  const cats = await page.$$eval('form#case-open input[name=categories]', (els) => els.map((e) => [e.value, e.checked]));
  if (cats.length < 8 || !cats.every(([, on]) => on))
    fail(`form#case-open: the categories are not all ticked by default: ${JSON.stringify(cats)}`);
  const catText = await page.innerText('fieldset#categories');
  if (!catText.includes('sociaal wijkteam') || !catText.includes('jeugdhulp'))
    fail(`fieldset#categories does not name the categories in Dutch: ${catText}`);
  await page.fill('input#client', BSN);
  for (const f of ['discover', 'contact', 'discuss']) await page.check(`form#case-open input[name=flag][value=${f}]`);
  await page.selectOption('select#basis', 'consent');
  await Promise.all([page.waitForNavigation(), page.click('form#case-open ' + SUBMIT)]);
  const m = pathOf(page).match(/^\/cases\/([^/]+)$/);
  if (!m) fail(`opening a case ended at ${await where(page)}, want /cases/ID`);
  const caseId = decodeURIComponent(m[1]);
  await visit(page, '/cases/ID', { name: prof.name });
  for (const sel of ['#consent', 'form#consent-form', 'form#lookup', 'select#purpose', 'form#discuss-request',
    'select#topic', 'input#window_start', 'input#window_end', 'form#case-close'])
    if (!(await page.$(sel))) fail(`/cases/${caseId}: no ${sel}`);
  if (!(await page.innerText('#consent')).trim()) fail(`/cases/${caseId}: #consent is empty`);
  if ((await page.content()).includes(BSN)) fail(`/cases/${caseId} shows the BSN`);
  await shot(page, 'case');
  await go(page, '/cases');
  if (!(await page.$(`table#cases tr[data-case="${caseId}"] a[href="/cases/${caseId}"]`)))
    fail(`/cases: no row tr[data-case=${caseId}] linking to /cases/${caseId}`);
  ok(`a case opened on /cases (${caseId}) with discover, contact, discuss for all categories`);

  // paging: one case a page, newest first, Volgende and Vorige; the client by name
  const caseRows = async () => page.$$eval('table#cases tr[data-case]', (trs) => trs.map((t) => t.dataset.case));
  await go(page, '/cases?limit=1');
  if (JSON.stringify(await caseRows()) !== JSON.stringify([caseId])) fail(`/cases?limit=1: rows ${JSON.stringify(await caseRows())}, want the newest ${caseId}`);
  if (!(await page.innerText('table#cases')).includes('Jan Modaal')) fail('/cases: the client is not shown by name');
  const seen = [caseId];
  for (let i = 0; i < 2; i++) {
    const next = await page.$('nav#cases-pager a[rel=next]');
    if (!next) fail(`/cases?limit=1: no a[rel=next] on page ${i + 1} of 3`);
    await Promise.all([page.waitForNavigation(), next.click()]);
    const r = await caseRows();
    if (r.length !== 1 || seen.includes(r[0]) || Number(r[0]) > Number(seen[seen.length - 1]))
      fail(`the next page of /cases shows ${JSON.stringify(r)} after ${JSON.stringify(seen)}`);
    seen.push(r[0]);
  }
  if (await page.$('nav#cases-pager a[rel=next]')) fail('/cases: a[rel=next] on the last page');
  await Promise.all([page.waitForNavigation(), page.click('nav#cases-pager a[rel=prev]')]);
  if (JSON.stringify(await caseRows()) !== JSON.stringify([seen[1]])) fail(`Vorige on /cases shows ${JSON.stringify(await caseRows())}, want ${seen[1]}`);
  await go(page, '/cases');
  await page.fill('form#case-search input#q', 'pagina');
  await Promise.all([page.waitForNavigation(), page.click('form#case-search ' + SUBMIT)]);
  const foundCases = await caseRows();
  if (foundCases.length !== 2 || foundCases.includes(caseId) || !(await page.innerText('table#cases')).includes('Karin Pagina'))
    fail(`searching /cases for "pagina": ${JSON.stringify(foundCases)}`);
  if (new URL(page.url()).searchParams.get('q') !== 'pagina') fail(`form#case-search is not a GET with q: ${page.url()}`);
  await checkPage(page, '/cases?q=', { name: prof.name });
  ok(`/cases pages newest first one case a page (${seen.join(', ')}) with Volgende and Vorige, and finds clients by name`);

  // altrecht opens its case and publishes; the node syncs every second
  cliB('case', 'open', '--client', BSN, '--as', profB, '--consent', 'discover,contact,discuss',
    '--categories', 'all');
  cliB('sync');
  await go(page, '/matches');
  for (const sel of ['table#matches', 'table#notices', 'form#sync'])
    if (!(await page.$(sel))) fail(`/matches: no ${sel}`);
  await until(`${B} in table#matches`, async () => {
    await go(page, '/matches');
    return (await page.innerText('table#matches')).includes(B);
  });
  // altrecht looks up the client: a notice for anna, in words, with altrecht by name
  cliB('lookup', '--client', BSN, '--as', profB, '--purpose', 'afstemming');
  await until(`${B}'s lookup in table#notices`, async () => {
    await go(page, '/matches');
    const t = await page.innerText('table#notices');
    return t.includes(`Org ${B}`) && t.includes('Jan Modaal') && t.includes('afstemming van de zorg');
  });
  await visit(page, '/matches', { name: prof.name });
  await shot(page, 'matches');

  await go(page, `/cases/${caseId}`);
  await Promise.all([page.waitForNavigation(), page.click('form#lookup ' + SUBMIT)]);
  const partners = await page.locator('section#partners li.partner').allInnerTexts();
  if (!partners.some((t) => t.includes(B) && t.includes('Bram Jansen')))
    fail(`the lookup on /cases/${caseId} shows no partner ${B} with its contact: ${JSON.stringify(partners)}`);
  await visit(page, '/cases/ID after a lookup', { name: prof.name });
  await shot(page, 'case-lookup');
  ok(`the match with ${B} on /matches, and the lookup shows ${B}'s professional in section#partners`);

  // a new consent and a discussion request from the case page
  const later = new Date(Date.now() + 200 * 86400e3).toISOString().slice(0, 10);
  await go(page, `/cases/${caseId}`);
  await page.fill('form#consent-form [name=expires]', later);
  await Promise.all([page.waitForNavigation(), page.click('form#consent-form ' + SUBMIT)]);
  await go(page, `/cases/${caseId}`);
  const MONTHS = ['januari', 'februari', 'maart', 'april', 'mei', 'juni', 'juli', 'augustus', 'september',
    'oktober', 'november', 'december'];
  const ld = new Date(later + 'T12:00:00');
  const laterNl = `${ld.getDate()} ${MONTHS[ld.getMonth()]} ${ld.getFullYear()}`;
  if (!(await page.innerText('#consent')).includes(laterNl))
    fail(`#consent does not show the new consent, valid until ${laterNl}: ${await page.innerText('#consent')}`);
  cliB('sync');
  await Promise.all([page.waitForNavigation(), page.click('form#discuss-request ' + SUBMIT)]);
  await go(page, '/discussions');
  const mine = await page.$$eval('table#requests tr[data-discussion]', (trs) => trs.map((t) => t.dataset.discussion));
  if (mine.length !== 1) fail(`table#requests after a request from /cases/${caseId}: ${JSON.stringify(mine)}`);
  await until(`${B} invited to ${mine[0]}`, () => {
    cliB('sync');
    return JSON.parse(cliB('discuss', 'list', '--json')).some((d) => d.id === mine[0] && d.role === 'invited');
  });
  ok(`a new consent from form#consent-form; a request from form#discuss-request invites ${B}`);

  // altrecht asks for a discussion; anna accepts it on /discussions
  cliB('sync');
  const disc = cliB('discuss', 'request', '--client', BSN, '--as', profB, '--topic', 'afstemming');
  if (!/^[0-9a-f]{32}$/.test(disc)) fail(`discuss request printed ${JSON.stringify(disc)}`);
  const row = `table#invitations tr[data-discussion="${disc}"]`;
  await until(`the invitation ${disc} in table#invitations`, async () => {
    await go(page, '/discussions');
    return !!(await page.$(row));
  });
  for (const sel of ['table#requests', 'table#participating', `${row} form.accept`, `${row} form.decline`])
    if (!(await page.$(sel))) fail(`/discussions: no ${sel}`);
  await visit(page, '/discussions', { name: prof.name });
  await shot(page, 'discussions');
  await Promise.all([page.waitForNavigation(), page.click(`${row} form.accept ` + SUBMIT)]);
  await go(page, '/discussions');
  if (!(await page.$(`table#participating tr[data-discussion="${disc}"]`)))
    fail(`after accepting, ${disc} is not in table#participating`);
  if (await page.$(row)) fail(`after accepting, ${disc} is still in table#invitations`);
  await until(`${B} seeing the acceptance`, () => {
    cliB('sync');
    const d = JSON.parse(cliB('discuss', 'list', '--json')).find((x) => x.id === disc);
    return d && d.accepted && d.accepted.length === 1;
  });
  ok(`${B}'s invitation accepted on /discussions reaches ${B}`);

  const summary = 'SAMENVATTING-VAN-ALTRECHT schulden en zorgen over de woning';
  fs.writeFileSync(path.join(T, 'summary.txt'), summary + '\n');
  cliB('discuss', 'send', disc, '--as', profB, '--text-file', path.join(T, 'summary.txt'), '--yes');
  await until(`${B}'s summary in section#thread of /discussions/${disc}`, async () => {
    await go(page, `/discussions/${disc}`);
    return (await page.locator('section#thread article.message').allInnerTexts()).some((t) => t.includes(summary));
  });
  for (const sel of ['form#send', 'form#send textarea#text', 'form#send input#yes'])
    if (!(await page.$(sel))) fail(`/discussions/${disc}: no ${sel}`);
  if (await page.$('form#discuss-close')) fail(`/discussions/${disc}: form#discuss-close shown to an acceptor`);
  await visit(page, '/discussions/ID', { name: prof.name });
  await shot(page, 'discussion');
  const reply = 'ANTWOORD-VAN-WIJKTEAM wij kennen de cliënt ook';
  await page.fill('textarea#text', reply);
  // a double click sends once: app.js disables the button after the first submit
  await Promise.all([page.waitForNavigation(), page.dblclick('form#send ' + SUBMIT)]);
  await sleep(1000);
  await go(page, `/discussions/${disc}`);
  const sent = (await page.locator('section#thread article.message').allInnerTexts()).filter((t) => t.includes(reply));
  if (sent.length !== 1) fail(`a double click on form#send sent the reply ${sent.length} times, want once`);
  await until(`the reply at ${B}`, () => {
    cliB('sync');
    return cliB('discuss', 'show', disc, '--as', profB).includes(reply);
  });
  ok(`the thread shows ${B}'s summary; a reply sent from the page reaches ${B}`);

  // anna's own request: altrecht accepts it; anna sends the summary and
  // closes it from the page with altrecht's professional as regievoerder
  const own = mine[0];
  cliB('discuss', 'accept', own, '--as', profB);
  await until(`${B}'s acceptance of ${own} on /discussions`, async () => {
    await go(page, '/discussions');
    return (await page.innerText(`table#requests tr[data-discussion="${own}"]`)).includes(B);
  });
  await go(page, `/discussions/${own}`);
  if (!(await page.$('form#discuss-close'))) fail(`/discussions/${own}: no form#discuss-close for the requester`);
  const ownSummary = 'SAMENVATTING-VAN-WIJKTEAM zorgen over de huur';
  await page.fill('textarea#text', ownSummary);
  await Promise.all([page.waitForNavigation(), page.click('form#send ' + SUBMIT)]);
  await go(page, `/discussions/${own}`);
  const regie = `${B}:${profB}`;
  const options = await page.$$eval('select#regie option', (os) => os.map((o) => o.value));
  if (!options.includes(regie)) fail(`select#regie offers ${JSON.stringify(options)}, not ${regie}`);
  await page.selectOption('select#regie', regie);
  const outcome = 'UITKOMST-VAN-HET-OVERLEG altrecht houdt de regie';
  await page.fill('textarea#outcome', outcome);
  // recording the outcome is irreversible: a box to tick, which needs no script
  if (!(await page.$('form#discuss-close input#confirm-close[name=confirm][required]')))
    fail('form#discuss-close has no required input#confirm-close');
  await page.check('input#confirm-close');
  await Promise.all([page.waitForNavigation(), page.click('form#discuss-close ' + SUBMIT)]);
  await go(page, `/discussions/${own}`);
  const thread = await page.locator('section#thread article.message').allInnerTexts();
  // the regievoerder by name and role, the organisation by its name
  if (!thread.some((t) => t.includes(outcome) && t.includes(`Org ${B}`) && t.includes('Bram Jansen (spv)')))
    fail(`the outcome with the regievoerder is not in the thread of ${own}: ${JSON.stringify(thread)}`);
  if (await page.$('form#discuss-close') || await page.$('form#send'))
    fail(`/discussions/${own} still offers sending or closing after the close`);
  await shot(page, 'discussion-closed');
  await until(`the outcome and summary at ${B}`, () => {
    cliB('sync');
    const shown = cliB('discuss', 'show', own, '--as', profB);
    return shown.includes(outcome) && shown.includes(ownSummary) && shown.includes('regievoerder');
  });
  ok(`anna's own discussion: the summary and a close with ${regie} as regievoerder from the page reach ${B}`);


  // ---- the rest of her day with a new client, every step in the browser ----
  // register (elfproef feedback as she types), find, open with the age
  // rule, assign a colleague, the close's confirmation dialog
  await go(page, '/cases');
  await Promise.all([page.waitForNavigation(), page.click('a#to-clients')]);
  if (pathOf(page) !== '/clients') fail(`a#to-clients led to ${page.url()}`);
  for (const sel of ['form#client-search', 'table#clients', 'form#client-find', 'form#client-find input#find-bsn',
    'form#client-add', 'form#client-add input#bsn', 'form#client-add input#name', 'form#client-add input#birthdate'])
    if (!(await page.$(sel))) fail(`/clients: no ${sel}`);
  await visit(page, '/clients', { name: prof.name });
  await shot(page, 'clients');
  const newBsn = bsnFrom(12345670);
  // web.sh checks that no BSN the pages saw reaches the node's logs
  fs.writeFileSync(path.join(T, 'web-bsns.txt'), [newBsn, bsnFrom(87654320)].join('\n') + '\n');
  const wrongBsn = newBsn.slice(0, 8) + String((Number(newBsn[8]) + 1) % 10);
  await page.fill('input#bsn', wrongBsn);
  const hintBad = await page.innerText('#bsn-hint');
  if (!/geen geldig BSN/.test(hintBad) || (await page.getAttribute('input#bsn', 'aria-invalid')) !== 'true')
    fail(`typing a BSN that fails the elfproef: #bsn-hint says ${JSON.stringify(hintBad)}`);
  await page.fill('input#bsn', newBsn);
  if (!/geldig/.test(await page.innerText('#bsn-hint')) || (await page.getAttribute('input#bsn', 'aria-invalid')) !== 'false')
    fail(`a valid BSN typed: #bsn-hint says ${JSON.stringify(await page.innerText('#bsn-hint'))}`);
  const kid = { name: 'Fatima El Amrani' };
  const born = new Date(); born.setFullYear(born.getFullYear() - 14); born.setDate(born.getDate() - 3);
  await page.fill('input#name', kid.name);
  await page.fill('input#birthdate', born.toISOString().slice(0, 10));
  await Promise.all([page.waitForNavigation(), page.click('form#client-add ' + SUBMIT)]);
  const cm = pathOf(page).match(/^\/clients\/([^/]+)$/);
  if (!cm) fail(`registering a client ended at ${await where(page)}, want /clients/ID`);
  kid.id = cm[1];
  if (page.url().includes(newBsn)) fail('the BSN is in the URL');
  if (!(await page.innerText('h1')).includes(kid.name)) fail(`/clients/ID: h1 is not ${kid.name}`);
  const rule = await page.innerText('#age-rule');
  if (!rule.includes('14 jaar') || !rule.includes('samen'))
    fail(`/clients/ID of a 14-year-old: #age-rule says ${JSON.stringify(rule)}, want the 12-15 rule`);
  if ((await page.inputValue('select#consent_by')) !== 'client+parent')
    fail('/clients/ID of a 14-year-old: select#consent_by does not default to the client and a parent together');
  const byText = await page.$$eval('select#consent_by option', (os) => os.map((o) => o.textContent));
  for (const w of ['cliënt', 'ouder', 'voogd', 'vertegenwoordiger'])
    if (!byText.includes(w)) fail(`select#consent_by offers ${JSON.stringify(byText)}, not ${w}`);
  await visit(page, '/clients/ID', { name: prof.name });
  await shot(page, 'client');
  // registering the same BSN again says so, in Dutch, and shows the client
  await go(page, '/clients');
  await page.fill('input#bsn', newBsn);
  await page.fill('input#name', kid.name);
  await Promise.all([page.waitForNavigation(), page.click('form#client-add ' + SUBMIT)]);
  if (pathOf(page) !== `/clients/${kid.id}` || !/al geregistreerd/.test(await page.innerText('#message')))
    fail(`registering a known BSN: ${await where(page)}`);
  // a BSN nobody registered: an error in Dutch, next to the form
  await go(page, '/clients');
  await page.fill('input#find-bsn', bsnFrom(87654320));
  await Promise.all([page.waitForNavigation(), page.click('form#client-find ' + SUBMIT)]);
  const notFound = await page.$('p#message[role=alert]');
  if (!notFound || !/geen cliënt met dit BSN/.test(await notFound.innerText()))
    fail(`finding an unknown BSN: ${await where(page)}`);
  await visit(page, '/clients after an unknown BSN', { name: prof.name });

  // open the case: the client and a parent consent together
  await go(page, `/clients/${kid.id}`);
  for (const f of ['discover', 'contact', 'discuss']) await page.check(`form#case-open input[name=flag][value=${f}]`);
  await Promise.all([page.waitForNavigation(), page.click('form#case-open ' + SUBMIT)]);
  const km = pathOf(page).match(/^\/cases\/(\d+)$/);
  if (!km) fail(`opening a case from /clients/ID ended at ${await where(page)}`);
  kid.case = km[1];
  const facts = await page.innerText('#case-facts');
  if (!facts.includes(kid.name)) fail(`/cases/${kid.case} does not name the client ${kid.name}: ${facts}`);
  if (!(await page.innerText('#consent')).includes('cliënt en ouder samen'))
    fail(`#consent does not say who consented: ${await page.innerText('#consent')}`);
  // assign a colleague from the org's professionals
  const colleagues = await page.$$eval('form#case-assign select#professional option', (os) => os.map((o) => [o.value, o.textContent]));
  if (!colleagues.some(([v, t]) => v === prof2.id && t.includes(prof2.name)) || colleagues.some(([v]) => v === prof.id || v === po.id))
    fail(`select#professional offers ${JSON.stringify(colleagues)}: want ${prof2.id} by name, not ${prof.id} or the privacy officer`);
  await page.selectOption('select#professional', prof2.id);
  await Promise.all([page.waitForNavigation(), page.click('form#case-assign ' + SUBMIT)]);
  if (!(await page.innerText('#assigned')).includes(prof2.name)) fail(`after assigning, #assigned: ${await page.innerText('#assigned')}`);
  // nothing ticked withdraws the consent: app.js asks first; dismissed, nothing changes
  for (const f of ['discover', 'contact', 'discuss']) await page.uncheck(`form#consent-form input[name=flag][value=${f}]`);
  let askedWithdraw = '';
  page.once('dialog', (d) => { askedWithdraw = d.message(); d.dismiss(); });
  await page.click('form#consent-form ' + SUBMIT);
  await sleep(700);
  if (!/intrekken/.test(askedWithdraw)) fail(`a consent form with nothing ticked asked ${JSON.stringify(askedWithdraw)}`);
  if (pathOf(page) !== `/cases/${kid.case}` || (await page.innerText('#consent')).includes('ingetrokken'))
    fail(`dismissing the withdrawal changed the consent: ${await where(page)}`);
  await go(page, `/cases/${kid.case}`);
  // the close asks first: dismissed, the case stays open
  page.once('dialog', (d) => d.dismiss());
  await page.click('form#case-close ' + SUBMIT);
  await sleep(700);
  if (pathOf(page) !== `/cases/${kid.case}` || !(await page.$('form#case-close')))
    fail(`dismissing the close dialog still left /cases/${kid.case}: ${await where(page)}`);
  await visit(page, `/cases/ID (${kid.name})`, { name: prof.name });
  await shot(page, 'case-new-client');
  // her clients by name
  await go(page, '/clients?name=amrani');
  const found = await page.locator('table#clients tbody tr[data-client]').allInnerTexts();
  if (found.length !== 1 || !found[0].includes(kid.name)) fail(`the name search for "amrani": ${JSON.stringify(found)}`);
  await go(page, '/cases');
  if ((await page.innerText('table#cases')).match(/\bc-\d+/)) fail('table#cases shows a local client id');
  if (!(await page.innerText('table#cases')).includes(kid.name)) fail(`table#cases does not name ${kid.name}`);
  ok(`${prof.id} registers ${kid.name} (elfproef as she types), finds her by name and BSN, opens a case with the 12-15 rule, assigns ${prof2.id}; the close dialog dismissed keeps it open`);

  // both languages, remembered
  // ---- case tables (read only): the list, a table's agenda, a case with its
  // thread and outcome (brought and closed by the CLI in tests/e2e/web.sh)
  const TABLE = env('WEB_TABLE'), TCASE = env('WEB_TABLE_CASE');
  await go(page, '/tables');
  await visit(page, '/tables', { name: prof.name });
  if (!(await page.innerText('table#tables')).includes('Casustafel Wijk')) fail('/tables: the table is not listed');
  await shot(page, 'tables');
  await Promise.all([page.waitForNavigation(), page.click(`table#tables a[href="/tables/${TABLE}"]`)]);
  await visit(page, '/tables/ID', { name: prof.name });
  const agenda = await page.innerText('table#agenda');
  if (!agenda.includes('hoog') || !agenda.includes('nog niet geagendeerd')) fail(`/tables/ID: the agenda lacks the case: ${agenda}`);
  for (const sel of ['section#table-stats', 'form#table-stats-period input#since[type=date]', 'a#table-stats-csv'])
    if (!(await page.$(sel))) fail(`/tables/ID lacks ${sel}`);
  await shot(page, 'table');
  // bring a case: a BSN is refused next to the form; a clean one lands on its page
  await page.fill('form#table-submit textarea#question', `Cliënt met BSN ${BSN}`);
  await Promise.all([page.waitForNavigation(), page.click('form#table-submit ' + SUBMIT)]);
  const bsnAlert = await page.$('p#message[role=alert]');
  if (pathOf(page) !== `/tables/${TABLE}` || !bsnAlert || !/bevat een BSN/.test(await bsnAlert.innerText()))
    fail(`a case with a BSN: ${await where(page)}`);
  await visit(page, '/tables/ID after a refused case', { name: prof.name });
  await page.fill('form#table-submit textarea#question', 'WEB-INGEBRACHT wie coördineert de hulp?');
  await page.check('form#table-submit input#domain-wonen');
  await page.check('form#table-submit input#party-schuldhulp');
  await page.selectOption('form#table-submit select#urgency', 'hoog');
  await Promise.all([page.waitForNavigation(), page.click('form#table-submit ' + SUBMIT)]);
  if (!pathOf(page).startsWith('/table-cases/') || !(await page.innerText('body')).includes('WEB-INGEBRACHT'))
    fail(`bringing a case from the page ended at ${await where(page)}`);
  const newTcase = pathOf(page).split('/')[2];
  await visit(page, '/table-cases/ID brought from the page', { name: prof.name });
  await shot(page, 'table-case-new');
  // a case brought with one of anna's clients, by name (never a BSN): without
  // consent to case discussion refused in words, nothing sent; with it the
  // "al betrokken" signal reaches the member holding the client (altrecht's
  // assigned professional), never the submitter
  await go(page, `/tables/${TABLE}`);
  const clientOpts = await page.$$eval('form#table-submit select#client option', (os) => os.map((o) => [o.value, o.textContent]));
  const optOf = (name) => (clientOpts.find(([, t]) => t.includes(name)) || [])[0];
  if (!clientOpts.length || clientOpts[0][0] !== '' || !optOf('Jan Modaal') || !optOf('Karin Pagina') ||
    !clientOpts.every(([v]) => v === '' || /^c-[1-9][0-9]*$/.test(v)) ||
    !clientOpts.find(([, t]) => t.includes('Karin Pagina'))[1].includes('geen toestemming voor casusoverleg') ||
    clientOpts.find(([, t]) => t.includes('Jan Modaal'))[1].includes('geen toestemming'))
    fail(`form#table-submit select#client: ${JSON.stringify(clientOpts)}`);
  if ((await page.content()).includes(BSN)) fail(`/tables/${TABLE} shows a BSN`);
  const casesBefore = (await page.innerText('table#agenda')).split('\n').length;
  await page.fill('form#table-submit textarea#question', 'WEB-CLIENT-ZONDER wie helpt?');
  await page.selectOption('form#table-submit select#client', optOf('Karin Pagina'));
  await Promise.all([page.waitForNavigation(), page.click('form#table-submit ' + SUBMIT)]);
  const consentAlert = await page.$('p#message[role=alert]');
  if (pathOf(page) !== `/tables/${TABLE}` || !consentAlert || !/geen toestemming gegeven voor casusoverleg/.test(await consentAlert.innerText()) ||
    (await page.innerText('table#agenda')).split('\n').length !== casesBefore)
    fail(`a case with a client without consent: ${await where(page)}`);
  await visit(page, '/tables/ID after a client without consent', { name: prof.name });
  await page.fill('form#table-submit textarea#question', 'WEB-CLIENT wie coördineert de hulp?');
  await page.selectOption('form#table-submit select#client', optOf('Jan Modaal'));
  await Promise.all([page.waitForNavigation(), page.click('form#table-submit ' + SUBMIT)]);
  if (!pathOf(page).startsWith('/table-cases/') || !(await page.innerText('body')).includes('WEB-CLIENT'))
    fail(`bringing a case with a client ended at ${await where(page)}`);
  const clientTcase = pathOf(page).split('/')[2];
  if (await page.$('p#involved')) fail('the submitter is shown "al betrokken"');
  cliB('sync');
  const shownB = cliB('table', 'show', clientTcase, '--as', profB);
  if (!shownB.includes('U bent al betrokken bij deze bewoner')) fail(`${B}'s assigned professional is not told: ${shownB}`);
  if (!JSON.parse(cliB('table', 'show', clientTcase, '--as', profB, '--json')).involved) fail(`${B}'s JSON has no involved`);
  await go(page, `/table-cases/${clientTcase}`);
  if (await page.$('p#involved')) fail('the submitter is shown "al betrokken" after altrecht took the case');
  const tcJson = await (await page.request.get(BASE + `/api/table-cases/${clientTcase}`)).json();
  if (tcJson.involved) fail(`the submitter's API says involved: ${JSON.stringify(tcJson)}`);
  await go(page, `/tables/${TABLE}`);
  await Promise.all([page.waitForNavigation(), page.click(`table#agenda a[href="/table-cases/${TCASE}"]`)]);
  await visit(page, '/table-cases/ID', { name: prof.name });
  // anna is the table's procesregisseur: every form of the case is hers
  for (const sel of ['form#table-send textarea#message-text', 'form#table-schedule input#meeting-date[type=date]',
    'form#table-outcome select#regie', 'form#table-outcome select#routed-to',
    'form#table-outcome input#breakthrough-yes[type=radio]', 'form#table-outcome textarea#outcome-text',
    'form#table-outcome input#evaluate[type=date]', 'form#table-outcome[data-confirm]'])
    if (!(await page.$(sel))) fail(`/table-cases/ID lacks ${sel}`);
  // both organisations of the federation take part already: nobody to invite
  if (!(await page.$('p#invite-none')) || (await page.$('form#table-invite')))
    fail('/table-cases/ID: with every organisation taking part, no p#invite-none (or still form#table-invite)');
  const regieOpts = await page.$$eval('select#regie option', (os) => os.map((o) => [o.value, o.textContent]));
  if (!regieOpts.some(([v, t]) => v === `${B}:${profB}` && t.includes('Bram Jansen')) || !regieOpts.some(([v]) => v === `${A}:${prof.id}`))
    fail(`select#regie: ${JSON.stringify(regieOpts)}`);
  const routedNames = await page.$$eval('select#routed-to option', (os) => os.map((o) => o.textContent));
  if (routedNames.includes('schuldhulp')) fail(`select#routed-to shows codes: ${routedNames.join(' | ')}`);
  await shot(page, 'table-case');
  // schedule on a meeting date
  await page.fill('form#table-schedule input#meeting-date', '2026-12-15');
  await Promise.all([page.waitForNavigation(), page.click('form#table-schedule ' + SUBMIT)]);
  if (pathOf(page) !== `/table-cases/${TCASE}` || !/geagendeerd/.test(await page.innerText('#message')) ||
    !(await page.innerText('main')).includes('15 december 2026'))
    fail(`scheduling from the page: ${await where(page)}`);
  // a message: a BSN refused next to the form, a clean one sent
  await page.fill('form#table-send textarea#message-text', `Het gaat om BSN ${BSN}`);
  await Promise.all([page.waitForNavigation(), page.click('form#table-send ' + SUBMIT)]);
  const sendAlert = await page.$('p#message[role=alert]');
  if (pathOf(page) !== `/table-cases/${TCASE}` || !sendAlert || !/bevat een BSN/.test(await sendAlert.innerText()))
    fail(`a message with a BSN: ${await where(page)}`);
  await visit(page, '/table-cases/ID after a refused message', { name: prof.name });
  await page.fill('form#table-send textarea#message-text', 'WEB-BERICHT wie belt de woningcorporatie?');
  await Promise.all([page.waitForNavigation(), page.click('form#table-send ' + SUBMIT)]);
  if (!/Bericht verstuurd/.test(await page.innerText('#message')) ||
    !(await page.innerText('section#thread')).includes('WEB-BERICHT'))
    fail(`sending a message from the page: ${await where(page)}`);
  await visit(page, '/table-cases/ID scheduled, with a message', { name: prof.name });
  await shot(page, 'table-case-scheduled');
  // a subgroup with mandate: both participants ticked by display name,
  // the dialog first (dismissed: nothing happens) ...
  for (const sel of ['form#table-subgroup[data-confirm]', 'form#table-subgroup fieldset#subgroup-orgs',
    'form#table-subgroup textarea#subgroup-mandate', 'form#table-subgroup input#subgroup-until[type=date]'])
    if (!(await page.$(sel))) fail(`/table-cases/ID lacks ${sel}`);
  const sgOrgs = await page.$$eval('fieldset#subgroup-orgs label', (ls) => ls.map((l) => [l.querySelector('input').value, l.textContent.trim()]));
  if (sgOrgs.length !== 2 || !sgOrgs.some(([v]) => v === A) || !sgOrgs.some(([v]) => v === B) || sgOrgs.some(([v, t]) => t === v))
    fail(`fieldset#subgroup-orgs: ${JSON.stringify(sgOrgs)}`);
  const fillSubgroup = async () => {
    for (const box of await page.$$('fieldset#subgroup-orgs input[name=org]')) await box.check();
    await page.fill('form#table-subgroup textarea#subgroup-mandate', 'MANDAAT-WEB mag zonder wachtlijst een plek regelen');
    await page.fill('form#table-subgroup input#subgroup-until', '2027-03-01');
  };
  await fillSubgroup();
  let askedSubgroup = '';
  page.once('dialog', (d) => { askedSubgroup = d.message(); d.dismiss(); });
  await page.click('form#table-subgroup ' + SUBMIT);
  await page.waitForTimeout(300);
  if (!/Deelgroep vormen\?/.test(askedSubgroup) || pathOf(page) !== `/table-cases/${TCASE}` || (await page.$('section#subgroups')))
    fail(`dismissing the subgroup's dialog: asked '${askedSubgroup}', ${await where(page)}`);
  // ... and "controleer en bevestig" as without JavaScript; "Nee" goes back
  for (const lang of ['en', 'nl']) {
    await go(page, `/table-cases/${TCASE}?lang=${lang}`);
    await fillSubgroup();
    await page.$eval('form#table-subgroup', (f) => f.removeAttribute('data-confirm'));
    await Promise.all([page.waitForNavigation(), page.click('form#table-subgroup ' + SUBMIT)]);
    if (pathOf(page) !== `/table-cases/${TCASE}/subgroup`) fail(`the subgroup went to ${await where(page)}, want its confirmation page`);
    await visit(page, `/table-cases/ID/subgroup?lang=${lang}`, { lang, name: prof.name });
    if (lang === 'en') {
      await Promise.all([page.waitForNavigation(), page.click('a#subgroup-cancel')]);
      if (pathOf(page) !== `/table-cases/${TCASE}` || (await page.$('section#subgroups'))) fail(`"No" on the subgroup's confirmation page: ${await where(page)}`);
    }
  }
  if (!/Controleer en bevestig/.test(await page.innerText('h1'))) fail('the subgroup\'s confirmation page has no "Controleer en bevestig"');
  const sgAnswers = await page.innerText('dl#subgroup-answers');
  if (!sgAnswers.includes('1 maart 2027') || !sgOrgs.every(([, t]) => sgAnswers.includes(t)) || !(await page.innerText('main')).includes('MANDAAT-WEB'))
    fail(`the subgroup's confirmation page: ${sgAnswers}`);
  await shot(page, 'table-subgroup-confirm');
  await Promise.all([page.waitForNavigation(), page.click('form#table-subgroup-confirm ' + SUBMIT)]);
  if (pathOf(page) !== `/table-cases/${TCASE}` || !/Deelgroep gevormd/.test(await page.innerText('#message')) ||
    !(await page.innerText('section#subgroups')).includes('MANDAAT-WEB'))
    fail(`confirming the subgroup: ${await where(page)}`);
  // a message to the subgroup only, marked so in the thread
  const sgRadio = await page.$('fieldset#message-to input[name=subgroup]:not([value=""])');
  if (!sgRadio || !(await page.$('fieldset#message-to input#message-to-all[checked]'))) fail('form#table-send has no choice of the subgroup');
  await sgRadio.check();
  await page.fill('form#table-send textarea#message-text', 'DEELGROEP-WEB plek geregeld');
  await Promise.all([page.waitForNavigation(), page.click('form#table-send ' + SUBMIT)]);
  if (!/aan de deelgroep/.test(await page.innerText('#message')) ||
    !(await page.innerText('section#thread')).match(/alleen aan de deelgroep[\s\S]*DEELGROEP-WEB/))
    fail(`a message to the subgroup: ${await where(page)}`);
  await visit(page, '/table-cases/ID with a subgroup', { name: prof.name });
  await shot(page, 'table-case-subgroup');
  // the outcome: the dialog first (dismissed: nothing happens) ...
  const fillOutcome = async () => {
    await page.selectOption('form#table-outcome select#regie', `${B}:${profB}`);
    await page.selectOption('form#table-outcome select#routed-to', 'schuldhulp');
    await page.check('form#table-outcome input#breakthrough-yes');
    await page.fill('form#table-outcome textarea#outcome-text', 'UITKOMST-WEB Altrecht neemt de regie');
    await page.fill('form#table-outcome input#evaluate', '2027-02-01');
  };
  await fillOutcome();
  let askedOutcome = '';
  page.once('dialog', (d) => { askedOutcome = d.message(); d.dismiss(); });
  await page.click('form#table-outcome ' + SUBMIT);
  await page.waitForTimeout(300);
  if (!/niet ongedaan/.test(askedOutcome) || pathOf(page) !== `/table-cases/${TCASE}` || (await page.$('section#outcome')))
    fail(`dismissing the outcome's dialog: asked '${askedOutcome}', ${await where(page)}`);
  // ... and "controleer en bevestig" as without JavaScript (the form
  // without its dialog), in both languages; "Nee" goes back
  for (const lang of ['en', 'nl']) {
    await go(page, `/table-cases/${TCASE}?lang=${lang}`);
    await fillOutcome();
    await page.$eval('form#table-outcome', (f) => f.removeAttribute('data-confirm'));
    await Promise.all([page.waitForNavigation(), page.click('form#table-outcome ' + SUBMIT)]);
    if (pathOf(page) !== `/table-cases/${TCASE}/outcome`) fail(`the outcome went to ${await where(page)}, want its confirmation page`);
    await visit(page, `/table-cases/ID/outcome?lang=${lang}`, { lang, name: prof.name });
    if (lang === 'en') {
      await Promise.all([page.waitForNavigation(), page.click('a#outcome-cancel')]);
      if (pathOf(page) !== `/table-cases/${TCASE}` || (await page.$('section#outcome'))) fail(`"No" on the confirmation page: ${await where(page)}`);
    }
  }
  if (!/Controleer en bevestig/.test(await page.innerText('h1'))) fail('the outcome\'s confirmation page has no "Controleer en bevestig"');
  const answers = await page.innerText('dl#outcome-answers');
  for (const want of ['Schuldhulp', '1 februari 2027']) if (!answers.toLowerCase().includes(want.toLowerCase())) fail(`the confirmation page lacks '${want}': ${answers}`);
  await shot(page, 'table-outcome-confirm');
  await Promise.all([page.waitForNavigation(), page.click('form#table-outcome-confirm ' + SUBMIT)]);
  if (pathOf(page) !== `/table-cases/${TCASE}` || !/Uitkomst vastgelegd/.test(await page.innerText('#message')))
    fail(`confirming the outcome: ${await where(page)}`);
  await visit(page, '/table-cases/ID with its outcome', { name: prof.name });
  const tcase = await page.innerText('body');
  for (const want of ['UNIEKE-TAFELVRAAG', 'UITKOMST-WEB', 'WEB-BERICHT', 'financiën', '15 december 2026', '1 februari 2027'])
    if (!tcase.includes(want)) fail(`/table-cases/ID lacks '${want}'`);
  if (!(await page.$('section#outcome')) || !(await page.$('section#thread article.message')))
    fail('/table-cases/ID: no section#outcome or no message in section#thread');
  for (const sel of ['form#table-send', 'form#table-schedule', 'form#table-outcome'])
    if (await page.$(sel)) fail(`/table-cases/ID still has ${sel} after the outcome`);
  if (await page.$('p#involved')) fail('/table-cases/ID: "al betrokken" shown without a match');
  await shot(page, 'table-case-outcome');
  // the table's figures: three brought, one with an outcome, to the social domain; CSV
  await go(page, `/tables/${TABLE}`);
  if (!(await page.innerText('table#agenda')).includes('afgerond')) fail('/tables/ID: the case is not afgerond');
  const figures = await page.$$eval('dl#table-figures dd', (ds) => ds.map((d) => d.textContent));
  if (figures.slice(0, 5).join() !== '3,1,1,1,1') fail(`section#table-stats shows ${figures.join()}`);
  await page.fill('form#table-stats-period input#since', '2030-01-01');
  await Promise.all([page.waitForNavigation(), page.click('form#table-stats-period ' + SUBMIT)]);
  if (!page.url().includes('since=2030-01-01') || (await page.$$eval('dl#table-figures dd', (ds) => ds[0].textContent)) !== '0')
    fail(`the figures from 2030: ${await where(page)}`);
  await visit(page, '/tables/ID?since=2030-01-01', { name: prof.name });
  await shot(page, 'table-stats');
  const csvHref = await page.getAttribute('a#table-stats-csv', 'href');
  if (csvHref !== `/api/tables/${TABLE}/stats?format=csv&since=2030-01-01&until=`) fail(`a#table-stats-csv: ${csvHref}`);
  const tcsv = await page.request.get(BASE + `/api/tables/${TABLE}/stats?format=csv&since=&until=`);
  const csvText = await tcsv.text();
  if (tcsv.status() !== 200 || !/^text\/csv/.test(tcsv.headers()['content-type'] || '') ||
    !csvText.startsWith('table,since,until,brought,discussed') || !csvText.includes(`${TABLE},,,3,1,1,1,1,`))
    fail(`the figures as CSV: ${tcsv.status()} ${csvText}`);
  ok('case tables: the list, a table with its agenda and figures (CSV), bringing a case (a BSN refused), a case scheduled, a message (a BSN refused), a case with a client (its "al betrokken" signal at the member holding the client only), a subgroup with mandate and a message to it, and the outcome through "controleer en bevestig", in Dutch, axe-clean');

  await go(page, '/cases?lang=en');
  await checkPage(page, '/cases?lang=en', { lang: 'en', name: prof.name });
  const navEn = await page.innerText('nav');
  await shot(page, 'cases-en');
  await go(page, '/matches');
  await checkPage(page, '/matches after ?lang=en', { lang: 'en', name: prof.name });
  await go(page, '/cases?lang=nl');
  await checkPage(page, '/cases?lang=nl', { lang: 'nl', name: prof.name });
  if ((await page.innerText('nav')) === navEn) fail('the nav reads the same in nl and en');
  // every page of hers in both languages: axe, and the Dutch-only check in Dutch
  for (const u of ['/cases', '/clients', `/clients/${kid.id}`, `/cases/${caseId}`, `/cases/${kid.case}`,
    `/cases/${caseId}/close`, `/cases/${caseId}/withdraw`, '/matches', '/discussions', `/discussions/${disc}`, `/discussions/${own}`,
    '/tables', `/tables/${TABLE}`, `/table-cases/${TCASE}`, `/table-cases/${newTcase}`]) {
    for (const lang of ['en', 'nl']) {
      await go(page, `${u}?lang=${lang}`);
      await visit(page, `${u}?lang=${lang}`, { lang, name: prof.name });
    }
  }
  ok('?lang=en and ?lang=nl switch the language (html[lang] and text) and it is remembered');

  // the sociale kaart: both orgs published their records (web.sh), A's
  // sync fetched and verified them; B's waiting time is 40 days old
  await go(page, '/directory?lang=nl');
  if (!(await page.innerText('nav')).includes('Sociale kaart')) fail('the nav has no "Sociale kaart"');
  await visit(page, '/directory?lang=nl', { lang: 'nl', name: prof.name });
  await shot(page, 'directory');
  const orgsShown = await page.$$eval('article.dir-org', (as) => as.map((a) => a.dataset.org).sort());
  if (orgsShown.join(',') !== [A, B].sort().join(',')) fail(`/directory shows ${orgsShown}, want ${A} and ${B}`);
  const serviceNames = await page.$$eval('select#dir-service option', (os) => os.map((o) => o.textContent));
  if (!serviceNames.includes('Schuldhulpverlening') || serviceNames.includes('schuldhulp'))
    fail(`select#dir-service does not name the services in Dutch: ${serviceNames.join(' | ')}`);
  await page.selectOption('select#dir-service', 'ggz');
  await Promise.all([page.waitForNavigation(), page.click('form#directory-search' + SUBMIT)]);
  if (!page.url().includes('service=ggz')) fail(`the search went to ${page.url()}`);
  await visit(page, '/directory?service=ggz', { lang: 'nl', name: prof.name });
  const ggz = await page.$$eval('article.dir-org', (as) => as.map((a) => [a.dataset.org, a.innerText]));
  if (ggz.length !== 1 || ggz[0][0] !== B) fail(`service ggz finds ${ggz.map((g) => g[0])}, want ${B}`);
  if (!/verouderd/.test(ggz[0][1]) || !(await page.$(`article[data-org="${B}"] .stale`)))
    fail(`${B}'s waiting time of 40 days ago is not marked stale: ${ggz[0][1]}`);
  if (!ggz[0][1].includes('Verwijzing via de huisarts') || !ggz[0][1].includes('Bram Jansen'))
    fail(`${B}'s result lacks how to refer or its wegwijzer: ${ggz[0][1]}`);
  await go(page, '/directory?text=budget&lang=nl');
  const budget = await page.$$eval('article.dir-org', (as) => as.map((a) => a.dataset.org));
  if (budget.join() !== A) fail(`the words "budget" find ${budget}, want ${A}`);
  if (await page.$(`article[data-org="${A}"] .stale`)) fail(`${A}'s fresh waiting time is marked stale`);
  await go(page, '/directory?municipality=Utrecht&group=kinderen');
  if (!(await page.$('#directory-empty'))) fail('a search nothing matches does not say so');
  await visit(page, '/directory (nothing found)', { lang: 'nl', name: prof.name });
  for (const lang of ['nl', 'en']) {
    await go(page, `/directory/${B}?lang=${lang}`);
    await visit(page, `/directory/${B}?lang=${lang}`, { lang, name: prof.name });
    const t = await page.innerText('#directory-org');
    if (!t.includes('Bram Jansen') || !t.includes('030 765 43 21')) fail(`/directory/${B}: ${t}`);
    await go(page, `/directory?lang=${lang}`);
    await visit(page, `/directory?lang=${lang}`, { lang, name: prof.name });
  }
  await go(page, '/directory/nobody', 404);
  await go(page, '/directory?lang=nl');
  ok('/directory: search by service, words, municipality and target group; stale waiting times marked; one org\'s record; both languages');

  await Promise.all([page.waitForNavigation(), page.click('form#signout ' + SUBMIT)]);
  if (pathOf(page) !== '/signin') fail(`sign-out ended at ${await where(page)}, want /signin`);
  await page.goto(BASE + '/cases');
  if (pathOf(page) !== '/signin') fail(`after sign-out /cases ended at ${page.url()}`);
  await ctx.close();
  ok('sign-out ends the session');


  // ---- no JavaScript: the core flow, and closing through its confirmation page ----
  {
    const nctx = await browser.newContext({ javaScriptEnabled: false, locale: 'nl-NL' });
    const np = await nctx.newPage();
    current.page = np;
    np.setDefaultTimeout(15000);
    await signIn(np, prof);
    if (pathOf(np) !== '/cases') fail(`without JavaScript, sign-in ended at ${await where(np)}`);
    if (await np.evaluate(() => document.documentElement.classList.contains('js')))
      fail('the no-JavaScript context ran app.js');
    await Promise.all([np.waitForNavigation(), np.click('a#to-clients')]);
    await np.fill('input#find-bsn', newBsn);
    await Promise.all([np.waitForNavigation(), np.click('form#client-find ' + SUBMIT)]);
    if (pathOf(np) !== `/clients/${kid.id}`) fail(`without JavaScript, finding by BSN ended at ${await where(np)}`);
    await Promise.all([np.waitForNavigation(), np.click(`#client-cases a[href="/cases/${kid.case}"]`)]);
    // withdrawing consent (nothing ticked) goes through its own confirmation page
    for (const f of ['discover', 'contact', 'discuss']) await np.uncheck(`form#consent-form input[name=flag][value=${f}]`);
    await Promise.all([np.waitForNavigation(), np.click('form#consent-form ' + SUBMIT)]);
    if (pathOf(np) !== `/cases/${kid.case}/withdraw`) fail(`without JavaScript, withdrawing went to ${await where(np)}`);
    await checkPage(np, '/cases/ID/withdraw', { name: prof.name });
    await dutchOnly(np, '/cases/ID/withdraw without JavaScript');
    await shot(np, 'consent-withdraw-confirm');
    await Promise.all([np.waitForNavigation(), np.click('form#consent-withdraw-confirm ' + SUBMIT)]);
    if (pathOf(np) !== `/cases/${kid.case}` || !(await np.innerText('#consent')).includes('ingetrokken'))
      fail(`confirming the withdrawal: ${await where(np)}`);
    await Promise.all([np.waitForNavigation(), np.click('form#case-close ' + SUBMIT)]);
    if (pathOf(np) !== `/cases/${kid.case}/close`) fail(`without JavaScript, closing went to ${await where(np)}, want the confirmation page`);
    if (!/Controleer en bevestig/.test(await np.innerText('h1'))) fail('the confirmation page has no "Controleer en bevestig"');
    if (!(await np.innerText('main')).includes(kid.name)) fail('the confirmation page does not name the client');
    // axe needs script in the page: it ran on this page in the sweep with JavaScript
    await checkPage(np, '/cases/ID/close', { name: prof.name });
    await dutchOnly(np, '/cases/ID/close without JavaScript');
    await shot(np, 'case-close-confirm');
    await Promise.all([np.waitForNavigation(), np.click('form#case-close-confirm ' + SUBMIT)]);
    if (pathOf(np) !== `/cases/${kid.case}`) fail(`confirming the close ended at ${await where(np)}`);
    if (!(await np.innerText('#case-facts')).includes('afgesloten')) fail(`after confirming, the case is not afgesloten: ${await np.innerText('#case-facts')}`);
    if (!/afgesloten/i.test(await np.innerText('#message'))) fail('no message says the case was closed');
    await shot(np, 'case-closed');
    // a table case's outcome (the case anna brought) through its confirmation page
    await go(np, `/table-cases/${newTcase}`);
    await np.fill('form#table-outcome textarea#outcome-text', 'UITKOMST-ZONDER-JS het wijkteam houdt de regie');
    await np.check('form#table-outcome input#breakthrough-no');
    await Promise.all([np.waitForNavigation(), np.click('form#table-outcome ' + SUBMIT)]);
    if (pathOf(np) !== `/table-cases/${newTcase}/outcome`) fail(`without JavaScript, the outcome went to ${await where(np)}, want its confirmation page`);
    await checkPage(np, '/table-cases/ID/outcome', { name: prof.name });
    await dutchOnly(np, '/table-cases/ID/outcome without JavaScript');
    await Promise.all([np.waitForNavigation(), np.click('form#table-outcome-confirm ' + SUBMIT)]);
    if (pathOf(np) !== `/table-cases/${newTcase}` || !(await np.innerText('section#outcome')).includes('UITKOMST-ZONDER-JS'))
      fail(`without JavaScript, confirming the outcome: ${await where(np)}`);
    await nctx.close();
    ok('without JavaScript: sign in, find by BSN, the case, withdrawing consent and closing, a table case\'s outcome, each through "controleer en bevestig"');
  }

  // ---- keyboard only (Tab, Enter, Space): sign in, find the client, a lookup ----
  {
    const kctx = await browser.newContext({ locale: 'nl-NL' });
    const kp = await kctx.newPage();
    current.page = kp;
    kp.setDefaultTimeout(15000);
    const focusOn = async (sel, max = 60) => {
      for (let i = 0; i < max; i++) {
        if (await kp.evaluate((s) => document.activeElement && document.activeElement.matches(s), sel)) return;
        await kp.keyboard.press('Tab');
      }
      fail(`keyboard: Tab never reached ${sel} on ${kp.url()}`);
    };
    const enter = async (key = 'Enter') => Promise.all([kp.waitForNavigation(), kp.keyboard.press(key)]);
    await go(kp, '/signin');
    await focusOn('input#professional');
    await kp.keyboard.type(prof.id);
    await kp.keyboard.press('Tab');
    await kp.keyboard.type(prof.pw);
    await enter();
    if (pathOf(kp) !== '/cases') fail(`keyboard sign-in ended at ${await where(kp)}`);
    await focusOn('a#to-clients');
    await enter();
    await focusOn('input#find-bsn');
    await kp.keyboard.type(BSN);
    await enter();
    if (!/^\/clients\/[^/]+$/.test(pathOf(kp))) fail(`keyboard: finding by BSN ended at ${await where(kp)}`);
    await focusOn(`#client-cases a[href="/cases/${caseId}"]`);
    await enter();
    await focusOn('form#lookup select#purpose');
    await focusOn('form#lookup button[type=submit]');
    await enter('Space');
    const kpartners = await kp.locator('section#partners li.partner').allInnerTexts();
    if (!kpartners.some((t) => t.includes(B))) fail(`keyboard: the lookup shows ${JSON.stringify(kpartners)}`);
    await kctx.close();
    ok('keyboard only: sign in, find the client by BSN, open the case and look up partners');
  }

  // ---- the second professional sees none of it --------------------------
  const s2 = await newSession(browser);
  current.page = s2.page;
  await signIn(s2.page, prof2);
  if (pathOf(s2.page) !== '/cases') fail(`${prof2.id} landed at ${await where(s2.page)}`);
  if (await s2.page.$(`tr[data-case="${caseId}"]`)) fail(`${prof2.id} sees ${prof.id}'s case on /cases`);
  if (!(await s2.page.$(`tr[data-case="${kid.case}"]`))) fail(`${prof2.id} does not see case ${kid.case} she was assigned to`);
  await go(s2.page, `/cases/${caseId}`, 404);
  await visit(s2.page, `/cases/${caseId} of another professional (404)`, { name: prof2.name });
  await go(s2.page, `/clients/${kid.id}`);
  await visit(s2.page, `/clients/ID of a case she was assigned to`, { name: prof2.name });
  await go(s2.page, '/no-such-page', 404);
  await visit(s2.page, '/no-such-page (404)', { name: prof2.name });
  await go(s2.page, '/audit', 403);
  await visit(s2.page, '/audit for a professional (403)', { name: prof2.name });
  await go(s2.page, '/discussions');
  if ((await s2.page.content()).includes(disc)) fail(`${prof2.id} sees the discussion of ${prof.id}'s client`);
  await go(s2.page, `/discussions/${disc}`, 404);
  for (const api of [`/api/cases/${caseId}`, `/api/discussions/${disc}`]) {
    const st = (await s2.ctx.request.get(BASE + api)).status();
    if (st !== 404) fail(`${prof2.id} GET ${api}: ${st}, want 404`);
  }
  await s2.ctx.close();
  ok(`${prof2.id} (same org) gets 404 for ${prof.id}'s case and discussion (pages and API), 403 for /audit`);

  // ---- the privacy officer ---------------------------------------------
  const s3 = await newSession(browser);
  const pp = s3.page;
  current.page = pp;
  // no request the officer's browser makes carries the BSN in its URL
  const urls = [];
  pp.on('request', (req) => urls.push(req.url()));
  await signIn(pp, po);
  if (pathOf(pp) !== '/audit') fail(`the privacy officer landed at ${await where(pp)}, want /audit`);
  await visit(pp, '/audit', { name: po.name });
  for (const sel of ['form#audit-search', 'table#records', 'a#export-csv', 'a#export-csv-excel', 'a#export-fhir'])
    if (!(await pp.$(sel))) fail(`/audit: no ${sel}`);
  for (const f of ['client', 'professional', 'event', 'action', 'outcome', 'since', 'until'])
    if (!(await pp.$(`form#audit-search [name=${f}]`))) fail(`form#audit-search: no field ${f}`);
  // the filters are choices, the client goes by POST
  for (const f of ['professional', 'event', 'action', 'outcome'])
    if (!(await pp.$(`form#audit-search select[name=${f}]`))) fail(`form#audit-search: ${f} is not a select`);
  for (const f of ['since', 'until'])
    if ((await pp.getAttribute(`form#audit-search [name=${f}]`, 'type')) !== 'date') fail(`form#audit-search: ${f} is no date input`);
  if ((await pp.getAttribute('form#audit-search', 'method') || 'get').toLowerCase() !== 'post')
    fail('form#audit-search is not a POST form (the client would go into the URL)');
  const eventNames = await pp.locator('form#audit-search select[name=event] option').allInnerTexts();
  if (!eventNames.includes('Dossier geopend') || eventNames.some((t) => /^[a-z]+\.[a-z]/.test(t)))
    fail(`select#event does not name the kinds in Dutch: ${eventNames.slice(0, 8).join(' | ')}`);
  if ((await pp.locator('table#records th[scope=col]').count()) < 5) fail('table#records: no th[scope=col]');
  await shot(pp, 'audit');
  await go(pp, `/cases/${caseId}`, 403);
  await go(pp, '/audit');

  await pp.selectOption('form#audit-search select[name=professional]', prof.id);
  await Promise.all([pp.waitForNavigation(), pp.click('form#audit-search ' + SUBMIT)]);
  if (new URL(pp.url()).searchParams.get('professional') !== prof.id)
    fail(`the search did not go to /audit?...professional=${prof.id}: ${pp.url()}`);
  const rows = await pp.locator('table#records tbody tr').allInnerTexts();
  if (rows.length < 3) fail(`table#records: ${rows.length} rows for ${prof.id}, want several`);
  if (!rows.every((t) => t.includes(prof.name))) fail(`table#records: a row without ${prof.name}: ${rows.find((t) => !t.includes(prof.name))}`);
  if (!/\d{1,2} (januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|november|december) \d{4}, \d{2}:\d{2}/.test(rows[0]))
    fail(`table#records: no Dutch date in ${rows[0]}`);
  if (rows.some((t) => /\b(case\.open|signin|lookup|denied)\b/.test(t))) fail(`table#records shows event codes: ${rows.join(' | ')}`);
  if ((await pp.content()).includes(BSN)) fail('/audit shows a BSN');
  await visit(pp, '/audit?professional=', { name: po.name });
  await shot(pp, 'audit-search');
  const href = await pp.getAttribute('a#export-csv', 'href');
  if (!href.includes(`professional=${prof.id}`)) fail(`a#export-csv (${href}) does not carry the search's filters`);
  const [dl] = await Promise.all([
    pp.waitForEvent('download', { timeout: 15000 }).catch(() =>
      fail(`a#export-csv (${href}) started no download (is it served as an attachment?)`)),
    pp.click('a#export-csv')]);
  const csv = fs.readFileSync(await dl.path(), 'utf8');
  fs.writeFileSync(path.join(SHOTS, 'audit-export.csv'), csv);
  const [head, ...body] = parseCsv(csv);
  for (const col of ['time', 'event', 'action', 'outcome', 'user'])
    if (!head.includes(col)) fail(`the CSV header has no column ${col}: ${head.join(',')}`);
  const recs = body.map((r) => Object.fromEntries(r.map((v, i) => [head[i], v])));
  if (!recs.length || !recs.every((r) => r.user === prof.id)) fail(`the CSV holds records of others than ${prof.id}`);
  if (!recs.some((r) => /sign|session|login/i.test(r.event) && r.outcome === 'ok'))
    fail(`no successful sign-in of ${prof.id} in the CSV: ${[...new Set(recs.map((r) => r.event))].join(' ')}`);
  if (!recs.some((r) => /sign|session|login/i.test(r.event) && r.outcome !== 'ok'))
    fail(`the failed sign-in of ${prof.id} is not in the CSV`);
  if (!recs.some((r) => r.event === 'case.open' && r.outcome === 'ok')) fail(`no case.open of ${prof.id} in the CSV`);
  if (csv.includes(BSN)) fail('a BSN in the CSV export');
  // the same for Excel: ';' and a UTF-8 BOM
  const xres = await pp.request.get(BASE + await pp.getAttribute('a#export-csv-excel', 'href'));
  const xbytes = await xres.body();
  if (xres.status() !== 200 || xbytes[0] !== 0xef || xbytes[1] !== 0xbb || xbytes[2] !== 0xbf)
    fail(`a#export-csv-excel: status ${xres.status()}, no UTF-8 BOM`);
  const xhead = xbytes.toString('utf8', 3).split('\r\n')[0];
  if (!xhead.startsWith('id;seq;time;') || xhead.includes(',')) fail(`a#export-csv-excel header: ${xhead}`);
  if (xbytes.toString('utf8').split('\r\n').filter((l) => l).length !== recs.length + 1)
    fail('a#export-csv-excel does not hold the same records as a#export-csv');
  ok(`/audit: the search for ${prof.id} (choices, Dutch dates); its CSV with ',' and for Excel with ';' and a BOM`);

  // the same selection as FHIR R4: a Bundle of AuditEvents
  const fhirHref = await pp.getAttribute('a#export-fhir', 'href');
  if (!fhirHref.includes(`professional=${prof.id}`)) fail(`a#export-fhir (${fhirHref}) does not carry the filters`);
  const fres = await pp.request.get(BASE + fhirHref);
  if (fres.status() !== 200) fail(`GET ${fhirHref}: ${fres.status()}`);
  const bundle = JSON.parse(await fres.text());
  if (bundle.resourceType !== 'Bundle' || !Array.isArray(bundle.entry) || bundle.entry.length !== recs.length ||
      !bundle.entry.every((e) => e.resource && e.resource.resourceType === 'AuditEvent'))
    fail(`the FHIR export is not a Bundle of ${recs.length} AuditEvents: ${JSON.stringify(bundle).slice(0, 300)}`);
  ok(`the FHIR export of the same search: a Bundle of ${bundle.entry.length} AuditEvents`);

  // a client by BSN: posted, never in a URL; the page and its exports by search id
  await go(pp, '/audit');
  await pp.fill('form#audit-search [name=client]', BSN);
  await Promise.all([pp.waitForNavigation(), pp.click('form#audit-search ' + SUBMIT)]);
  const sid = new URL(pp.url()).searchParams.get('search');
  if (pathOf(pp) !== '/audit' || !sid) fail(`the client search did not go to /audit?search=ID: ${pp.url()}`);
  const crow = await pp.locator('table#records tbody tr').allInnerTexts();
  if (crow.length < 2 || !crow.some((t) => t.includes('Dossier geopend'))) fail(`table#records for the client: ${crow.join(' | ')}`);
  const chref = await pp.getAttribute('a#export-csv', 'href');
  if (!chref.includes(`search=${sid}`)) fail(`a#export-csv (${chref}) does not carry the search id`);
  const cres = await pp.request.get(BASE + chref);
  const ccsv = await cres.text();
  const [chead, ...cbody] = parseCsv(ccsv);
  const ci = chead.indexOf('client');
  if (cres.status() !== 200 || !cbody.length || new Set(cbody.map((r) => r[ci])).size !== 1 || ccsv.includes(BSN))
    fail(`the client's CSV export (${cres.status()}): ${ccsv.slice(0, 300)}`);
  // pages of at most 100 records, newest first, with a cursor
  const p1 = await (await pp.request.get(`${BASE}/api/audit?limit=3`)).json();
  const p2 = await (await pp.request.get(`${BASE}/api/audit?limit=3&before=${p1.next}`)).json();
  if (p1.records.length !== 3 || !p1.next || p2.records.length !== 3 ||
      !(p1.records[2].seq > p2.records[0].seq) || !(p1.records[0].seq > p1.records[2].seq))
    fail(`GET /api/audit pages: ${JSON.stringify([p1.records.map((r) => r.seq), p1.next, p2.records.map((r) => r.seq)])}`);
  const big = await (await pp.request.get(`${BASE}/api/audit?limit=1000`)).json();
  if (big.records.length > 100) fail(`GET /api/audit?limit=1000 gave ${big.records.length} records, at most 100`);
  const bad = await pp.request.get(`${BASE}/api/audit?client=${BSN}`);
  if (bad.status() !== 400) fail(`GET /api/audit?client=BSN: ${bad.status()}, want 400`);
  ok('a client searched by BSN: POSTed, the page and its CSV by search id; a BSN in a GET is refused');

  await go(pp, '/audit/report');
  for (const sel of ['form#report', 'form#report [name=client]', 'form#report [name=report_lang]', 'form#report fieldset legend'])
    if (!(await pp.$(sel))) fail(`/audit/report: no ${sel}`);
  if ((await pp.getAttribute('form#report', 'method') || 'get').toLowerCase() !== 'post')
    fail('form#report is not a POST form');
  await pp.fill('form#report [name=client]', BSN);
  await Promise.all([pp.waitForNavigation(), pp.click('form#report ' + SUBMIT)]);
  if (pathOf(pp) !== '/audit/report' || !new URL(pp.url()).searchParams.get('search')) fail(`the report went to ${pp.url()}`);
  if (!(await pp.$('#report-text'))) fail(`/audit/report: no #report-text after asking for the client: ${await where(pp)}`);
  const report = await pp.innerText('#report-text');
  for (const want of ['Wat wij met uw gegevens deden', `${prof.name} (`, 'heeft een dossier voor u geopend',
    'Hoe lang wij dit bewaren', 'artikel 16 AVG', 'autoriteitpersoonsgegevens.nl'])
    if (!report.includes(want)) fail(`/audit/report: "${want}" missing in: ${report.slice(0, 600)}`);
  if (report.includes(BSN)) fail('/audit/report shows the BSN');
  const codes = report.match(/\b(case\.[a-z]+|discuss\.[a-z]+|disclosure\.notice|signin|lookup|c-\d+|after-hours)\b/);
  if (codes) fail(`/audit/report shows an internal code: ${codes[0]}`);
  await visit(pp, '/audit/report', { name: po.name });
  await shot(pp, 'audit-report');
  // printable: no navigation, forms or buttons on paper
  await pp.emulateMedia({ media: 'print' });
  const hidden = await pp.evaluate(() => ['header', 'nav', 'form#report', 'form#signout'].map((sel) => {
    const el = document.querySelector(sel);
    return [sel, !el || getComputedStyle(el).display === 'none' || el.offsetParent === null];
  }));
  const shown = hidden.filter(([, h]) => !h).map(([sel]) => sel);
  if (shown.length) fail(`/audit/report in print media still shows ${shown.join(', ')}`);
  if (!(await pp.isVisible('#report-text'))) fail('/audit/report in print media hides the report');
  await pp.screenshot({ path: path.join(SHOTS, 'audit-report-print.png'), fullPage: true });
  await pp.emulateMedia({ media: 'screen' });
  // the report in English on the Dutch page: the page stays Dutch
  await go(pp, '/audit/report');
  await pp.fill('form#report [name=client]', BSN);
  await pp.selectOption('form#report [name=report_lang]', 'en');
  await Promise.all([pp.waitForNavigation(), pp.click('form#report ' + SUBMIT)]);
  if ((await pp.getAttribute('html', 'lang')) !== 'nl' || (await pp.getAttribute('#report-text', 'lang')) !== 'en' ||
      !(await pp.innerText('#report-text')).includes('What we did with your data'))
    fail(`the English report: html[lang]=${await pp.getAttribute('html', 'lang')}, #report-text[lang]=${await pp.getAttribute('#report-text', 'lang')}`);
  ok('/audit/report: posted, in plain Dutch with the owed sections, no codes, printable without nav and forms; English on request');

  await go(pp, '/audit/review');
  const d = new Date(); // the review's days are local (TZ), as the node's
  const today = `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  await pp.fill('form#review-period [name=since]', today);
  await pp.fill('form#review-period [name=until]', today);
  await Promise.all([pp.waitForNavigation(), pp.click('form#review-period ' + SUBMIT)]);
  if (!(await pp.$('table#findings'))) fail('/audit/review: no table#findings');
  // signed-off rows: a row that is or holds .signed-off
  const signedOff = () => pp.$$eval('table#findings tr', (trs) =>
    trs.filter((tr) => tr.matches('.signed-off') || tr.querySelector('.signed-off')).length);
  const before = await signedOff();
  const forms = pp.locator('table#findings form.signoff');
  if ((await forms.count()) < 1) fail('/audit/review: no finding to sign off (the failed sign-in is one)');
  await forms.first().locator('[name=note]').fill('gezien: een verkeerd wachtwoord, geen misbruik');
  await Promise.all([pp.waitForNavigation(), forms.first().locator(SUBMIT.trim()).click()]);
  await go(pp, `/audit/review?since=${today}&until=${today}`);
  const after = await signedOff();
  if (after !== before + 1) fail(`/audit/review: ${before} signed off before, ${after} after one sign-off`);
  // the period as a whole
  if (!(await pp.$('form#signoff-period'))) fail('/audit/review: no form#signoff-period');
  await pp.fill('form#signoff-period [name=note]', 'periode nagelopen, niets bijzonders');
  await Promise.all([pp.waitForNavigation(), pp.click('form#signoff-period ' + SUBMIT)]);
  const status = await pp.innerText('#period-status').catch(() => '');
  if (!status.includes('beoordeeld door') || !status.includes(po.name) || !status.includes('niets bijzonders'))
    fail(`/audit/review: after the period's sign-off #period-status says: ${status || await where(pp)}`);
  if (await pp.$('form#signoff-period')) fail('/audit/review: the period is signed off but its form is still there');
  await visit(pp, '/audit/review', { name: po.name });
  await shot(pp, 'audit-review');

  await go(pp, '/audit/verify');
  const okAttr = await pp.getAttribute('#verify-status', 'data-ok');
  if (okAttr !== '1') fail(`/audit/verify: #verify-status data-ok=${okAttr}: ${await pp.innerText('#verify-status')}`);
  await visit(pp, '/audit/verify', { name: po.name });
  await shot(pp, 'audit-verify');
  ok('/audit/review: a finding and the period signed off with the officer\'s name; /audit/verify data-ok=1');

  await go(pp, '/audit?lang=en');
  await visit(pp, '/audit?lang=en', { lang: 'en', name: po.name });
  await shot(pp, 'audit-en');
  await go(pp, '/audit/verify');
  await visit(pp, '/audit/verify after ?lang=en', { lang: 'en', name: po.name });
  await go(pp, '/audit?lang=nl');
  await visit(pp, '/audit?lang=nl', { lang: 'nl', name: po.name });
  const leaked = urls.filter((u) => u.includes(BSN));
  if (leaked.length) fail(`a URL the officer's browser requested holds the BSN: ${leaked[0]}`);
  await s3.ctx.close();

  const s4 = await newSession(browser);
  current.page = s4.page;
  await go(s4.page, '/signin?lang=en');
  await visit(s4.page, '/signin?lang=en', { lang: 'en' });
  await shot(s4.page, 'signin-en');
  await s4.ctx.close();
  ok('the privacy officer\'s pages in both languages; /signin in English');

  if (jsErrors.length) fail(`JavaScript errors on the pages: ${jsErrors.join(' | ')}`);
  ok(`axe-core (wcag2a, wcag2aa, wcag21a, wcag21aa): no violation on ${axeSeen.size} pages`);
}

run().then(() => process.exit(0), (e) => {
  console.error(`FAIL: ${e instanceof Fail ? e.message : e.stack}`);
  process.exit(1);
});
