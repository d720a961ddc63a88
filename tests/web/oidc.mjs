// Sign-in with the organisation's identity provider in headless Chromium,
// against a real node and a real OpenID provider (tests/web/oidc_provider.mjs),
// run by tests/e2e/oidc.sh: a linked account signs in and lands on its start
// page; sign-out ends the session (its cookie is refused after); a replayed
// or altered callback, an account linked to no one (named like a
// professional who is not linked), and ID tokens with another audience,
// expired, of another issuer, with another nonce or a tampered signature
// are each refused with
// the sign-in page's sentence, and no session exists after them.
import { createRequire } from 'node:module';
import path from 'node:path';

function env(k) {
  const v = process.env[k];
  if (!v) throw new Error(`${k} is not set (tests/e2e/oidc.sh sets it)`);
  return v;
}
const BASE = env('WEB_BASE');
const CONTROL = env('OIDC_CONTROL');
const CHROMIUM = process.env.WEB_CHROMIUM || '/usr/bin/chromium';
const require = createRequire(path.join(env('WEB_MODULES'), 'package.json'));
const { chromium, request } = require('playwright-core');
const LOGIN = env('OIDC_LOGIN'), NAME = env('OIDC_NAME'), UNKNOWN = env('OIDC_UNKNOWN');

class Fail extends Error {}
const fail = (msg) => { throw new Fail(msg); };
const ok = (msg) => console.log(`ok - ${msg}`);
const SUBMIT = ':is(button:not([type]), button[type=submit], input[type=submit])';

async function mode(m) {
  if (process.env.OIDC_QUICK) return;
  const r = await fetch(`${CONTROL}/mode?m=${m}`);
  if (!r.ok) fail(`the provider's switch refused mode ${m}`);
}

// The session cookie of ctx (schakel_session, or __Host-schakel_session
// over TLS), or undefined.
async function sessionCookie(ctx) {
  return (await ctx.cookies(BASE)).find((x) => x.name.endsWith('schakel_session') && x.value);
}

// Whether the node knows ctx's session (GET /api/me with its cookies).
async function signedIn(ctx) {
  if (!(await sessionCookie(ctx))) return false;
  return (await ctx.request.get(`${BASE}/api/me`)).status() === 200;
}

// From the sign-in page through the provider's login (and consent) pages
// back to the node; returns the URL where the browser ends up.
async function signInAt(page, login) {
  await page.goto(`${BASE}/signin`);
  const link = page.locator('a#oidc-signin');
  if (!(await link.textContent()).includes('Inloggen met')) fail('a#oidc-signin does not say "Inloggen met ..."');
  await Promise.all([page.waitForURL((u) => !u.href.startsWith(BASE)), link.click()]);
  for (let i = 0; i < 4 && !page.url().startsWith(BASE); i++) {
    if (await page.locator('input[name=login]').count()) {
      await page.fill('input[name=login]', login);
      await page.fill('input[name=password]', 'any');
    }
    await Promise.all([page.waitForNavigation(), page.click(SUBMIT)]);
  }
  if (!page.url().startsWith(BASE)) fail(`the provider did not send the browser back (at ${page.url()})`);
  await page.waitForLoadState('load');
  if (page.url().includes('/oidc/callback')) await page.waitForURL((u) => !u.pathname.startsWith('/oidc/'));
  return page.url();
}

// A refusal: the sign-in page with its sentence, and no session.
async function refused(ctx, page, what, error, words) {
  const u = new URL(page.url());
  if (u.pathname !== '/signin' || u.searchParams.get('error') !== error)
    fail(`${what}: expected /signin?error=${error}, at ${page.url()}`);
  const msg = await page.locator('p#message[role=alert]').textContent();
  if (!msg.includes(words)) fail(`${what}: the page says "${msg}", not "${words}..."`);
  if (await signedIn(ctx)) fail(`${what}: a session exists after the refusal`);
  ok(`${what}: refused with "${msg.slice(0, 60)}..."`);
}

async function run(browser) {
  const fresh = () => browser.newContext({ ignoreHTTPSErrors: true, locale: 'nl-NL' });

  // sign-in of the linked account; the callback URL kept for a replay
  let ctx = await fresh();
  let page = await ctx.newPage();
  let callback = null;
  page.on('request', (r) => { if (r.url().includes('/oidc/callback')) callback = r.url(); });
  await mode('none');
  const landed = await signInAt(page, LOGIN);
  if (new URL(landed).pathname !== '/cases') fail(`signed in, the browser is at ${landed}, not /cases`);
  if (!(await page.locator('body').textContent()).includes(NAME)) fail(`the start page does not name ${NAME}`);
  if (!(await signedIn(ctx))) fail('no session after the sign-in');
  const old = await sessionCookie(ctx);
  ok(`${LOGIN} signed in through the provider and sees her start page as ${NAME} (cookie ${old.name})`);

  // sign-out ends the session: the old cookie is refused
  await Promise.all([page.waitForNavigation(), page.click(`form#signout ${SUBMIT}`)]);
  const api = await request.newContext({ ignoreHTTPSErrors: true,
    extraHTTPHeaders: { Cookie: `${old.name}=${old.value}` } });
  const me = (await api.get(`${BASE}/api/me`)).status();
  await api.dispose();
  if (me !== 401) fail(`after sign-out the old session cookie gets ${me}, not 401`);
  ok('sign-out ended the session: its cookie is refused');
  if (process.env.OIDC_QUICK) return; /* the rest once, over plain HTTP */

  // the same callback again (code and state used before)
  if (!callback) fail('no /oidc/callback request seen');
  await page.goto(callback);
  await refused(ctx, page, 'a replayed callback', 'oidc-expired', 'Inloggen is niet gelukt');
  await ctx.close();

  // a callback whose state is not this browser's sign-in: another
  // browser's (a sign-in slipped in from elsewhere)
  ctx = await fresh();
  page = await ctx.newPage();
  await page.goto(`${BASE}/oidc/start`); /* this browser's sign-in, left at the provider */
  const other = await fresh();
  const otherPage = await other.newPage();
  let foreign = null;
  otherPage.on('request', (r) => { if (r.url().includes('/oidc/callback')) foreign = r.url(); });
  await signInAt(otherPage, LOGIN);
  await other.close();
  if (!foreign) fail('no /oidc/callback request seen in the other browser');
  await page.goto(foreign);
  await refused(ctx, page, "another browser's callback", 'oidc-expired', 'Inloggen is niet gelukt');
  await ctx.close();

  // the person cancels at the provider: it answers error=access_denied
  ctx = await fresh();
  page = await ctx.newPage();
  await page.goto(`${BASE}/signin`);
  await Promise.all([page.waitForURL((u) => !u.href.startsWith(BASE)), page.click('a#oidc-signin')]);
  await Promise.all([page.waitForURL((u) => u.href.startsWith(BASE)), page.click('a:has-text("Cancel")')]);
  await page.waitForURL((u) => u.pathname === '/signin');
  await refused(ctx, page, 'a sign-in cancelled at the provider', 'oidc-denied', 'afgebroken of geweigerd');
  await ctx.close();

  // an account at the provider that is linked to no professional
  ctx = await fresh();
  page = await ctx.newPage();
  await signInAt(page, UNKNOWN);
  await refused(ctx, page, 'an account linked to no one', 'oidc-unknown', 'niet gekoppeld');
  await ctx.close();

  // ID tokens the node must refuse, issued by the provider and altered on
  // the way to the node
  for (const [m, what] of [['audience', 'an ID token for another client'],
    ['expired', 'an expired ID token'], ['issuer', 'an ID token of another issuer'],
    ['nonce', "an ID token with another sign-in's nonce"],
    ['signature', 'an ID token with a tampered signature']]) {
    await mode(m);
    ctx = await fresh();
    page = await ctx.newPage();
    await signInAt(page, LOGIN);
    await refused(ctx, page, what, 'oidc-failed', 'kon niet worden gecontroleerd');
    await ctx.close();
  }
  await mode('none');

  // and after all that, a sign-in works again
  ctx = await fresh();
  page = await ctx.newPage();
  if (new URL(await signInAt(page, LOGIN)).pathname !== '/cases') fail('the last sign-in did not land on /cases');
  if (!(await signedIn(ctx))) fail('no session after the last sign-in');
  ok('a sign-in works again after the refusals');
  await ctx.close();
}

const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
try {
  await run(browser);
} catch (e) {
  console.error(e instanceof Fail ? `FAIL: ${e.message}` : e);
  process.exitCode = 1;
} finally {
  await browser.close();
}
