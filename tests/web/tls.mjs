// One session in headless Chromium (Debian's) over the node's own TLS
// (tests/e2e/web_tls.sh sets it up): the browser trusts exactly the node's
// self-made certificate (its key's SPKI hash, WEB_SPKI), never any
// certificate; signs in, loads the cases page, and checks it stayed on
// https, got HSTS, and holds the session cookie as __Host- with Secure and
// HttpOnly. Any failure exits 1 with "FAIL: ...".
import { createRequire } from 'node:module';
import path from 'node:path';

function env(k) {
  const v = process.env[k];
  if (!v) throw new Error(`${k} is not set (tests/e2e/web_tls.sh sets it)`);
  return v;
}
const BASE = env('WEB_BASE');
const CHROMIUM = process.env.WEB_CHROMIUM || '/usr/bin/chromium';
const require = createRequire(path.join(env('WEB_MODULES'), 'package.json'));
const { chromium } = require('playwright-core');
const prof = { id: env('WEB_PROF'), pw: env('WEB_PROF_PW') };

class Fail extends Error {}
const fail = (msg) => { throw new Fail(msg); };
const ok = (msg) => console.log(`ok - ${msg}`);

async function main() {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-dev-shm-usage',
      `--ignore-certificate-errors-spki-list=${env('WEB_SPKI')}`],
  });
  try {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    const first = await page.goto(`${BASE}/signin`);
    if (first.status() !== 200) fail(`/signin over TLS answered ${first.status()}`);
    const sec = await first.securityDetails();
    if (!sec || sec.protocol !== 'TLS 1.3') fail(`the browser's connection is ${sec && sec.protocol}, not TLS 1.3`);
    if ((first.headers()['strict-transport-security'] || '') !== 'max-age=31536000')
      fail(`no HSTS on /signin: ${first.headers()['strict-transport-security']}`);
    await page.fill('#professional', prof.id);
    await page.fill('#password', prof.pw);
    await Promise.all([page.waitForURL(/\/cases$/), page.click('form#signin button[type=submit]')]);
    const url = new URL(page.url());
    if (url.protocol !== 'https:') fail(`after sign-in the browser is on ${page.url()}`);
    if ((await page.locator('h1').count()) !== 1) fail('the cases page has no h1');
    const cookies = await ctx.cookies();
    const c = cookies.find((k) => k.name === '__Host-schakel_session');
    if (!c) fail(`no __Host-schakel_session cookie: ${cookies.map((k) => k.name).join(', ')}`);
    if (!c.secure || !c.httpOnly || c.sameSite !== 'Strict' || c.path !== '/')
      fail(`the session cookie's attributes: ${JSON.stringify({ ...c, value: undefined })}`);
    if (cookies.some((k) => k.name === 'schakel_session')) fail('a plain schakel_session cookie too');
    const again = await page.goto(`${BASE}/cases`);
    if (again.status() !== 200) fail(`/cases with the session answered ${again.status()}`);
    ok(`Chromium signed in over ${sec.protocol} (${sec.subjectName}), loaded /cases; __Host- cookie Secure, HttpOnly, SameSite=Strict`);
  } finally {
    await browser.close();
  }
}

main().catch((e) => {
  console.error(e instanceof Fail ? `FAIL: ${e.message}` : e);
  process.exit(1);
});
