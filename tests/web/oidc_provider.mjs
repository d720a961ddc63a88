// A real OpenID provider for tests/e2e/oidc.sh: oidc-provider (a certified
// implementation) over HTTPS on 127.0.0.1 with a self-made certificate, one
// confidential client (the node), PKCE required, and its development login
// pages (any login name signs in as that account). Accounts: sub
// "sub-NAME", preferred_username NAME.
//
// For the refusals the node must make, a switch on a second, plain-HTTP
// port (GET /mode?m=...) changes the ID token in the provider's own token
// answers, signed again with the provider's own key where the test needs a
// valid signature: "audience" (aud another client), "expired" (exp two
// minutes ago, iat three), "issuer" (iss another provider), "nonce" (another
// sign-in's), "signature" (a byte of the signature flipped),
// "none" (as issued). Prints "provider ready" when it listens.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const env = (k) => {
  if (!process.env[k]) throw new Error(`${k} is not set`);
  return process.env[k];
};
// oidc-provider from the build dir's node_modules (tests/e2e/web.sh's npm ci)
const { default: Provider } = await import(pathToFileURL(
  path.join(env('WEB_MODULES'), 'node_modules/oidc-provider/lib/index.js')).href);
const port = Number(env('OIDC_PORT'));
const issuer = `https://127.0.0.1:${port}`;
const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'test-key-1', use: 'sig', alg: 'RS256' };

const provider = new Provider(issuer, {
  clients: [{
    client_id: env('OIDC_CLIENT_ID'),
    client_secret: env('OIDC_CLIENT_SECRET'),
    redirect_uris: env('OIDC_REDIRECT').split(','), // comma-separated
    response_types: ['code'],
    grant_types: ['authorization_code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  jwks: { keys: [jwk] },
  findAccount: async (ctx, id) => ({
    accountId: id,
    claims: async () => ({ sub: `sub-${id}`, preferred_username: id }),
  }),
  claims: { openid: ['sub'], profile: ['preferred_username'] },
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
});

let mode = 'none';
const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
const sign = (header, payload) => {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${crypto.sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
};
function tamper(jwt) {
  const [h, p, s] = jwt.split('.');
  const header = JSON.parse(Buffer.from(h, 'base64url'));
  const payload = JSON.parse(Buffer.from(p, 'base64url'));
  const now = Math.floor(Date.now() / 1000);
  switch (mode) {
    case 'audience':
      return sign(header, { ...payload, aud: 'another-client', azp: undefined });
    case 'expired':
      return sign(header, { ...payload, iat: now - 180, exp: now - 120 });
    case 'issuer':
      return sign(header, { ...payload, iss: 'https://idp.elders.example' });
    case 'nonce':
      return sign(header, { ...payload, nonce: crypto.randomBytes(32).toString('base64url') });
    case 'signature': {
      const sig = Buffer.from(s, 'base64url');
      sig[sig.length >> 1] ^= 0x01;
      return `${h}.${p}.${sig.toString('base64url')}`;
    }
    default:
      return jwt;
  }
}
provider.use(async (ctx, next) => {
  await next();
  if (ctx.method === 'POST' && ctx.path === '/token' && ctx.status === 200 && ctx.body?.id_token) {
    ctx.body = { ...ctx.body, id_token: tamper(ctx.body.id_token) };
  }
});

const server = https.createServer({
  cert: fs.readFileSync(env('OIDC_CERT')),
  key: fs.readFileSync(env('OIDC_KEY')),
}, provider.callback());
const control = http.createServer((req, res) => {
  const u = new URL(req.url, 'http://127.0.0.1');
  if (u.pathname === '/mode' && ['none', 'audience', 'expired', 'issuer', 'nonce', 'signature'].includes(u.searchParams.get('m'))) {
    mode = u.searchParams.get('m');
    res.end(`mode ${mode}\n`);
  } else {
    res.statusCode = 404;
    res.end('no\n');
  }
});
server.listen(port, '127.0.0.1', () => {
  control.listen(Number(env('OIDC_CONTROL_PORT')), '127.0.0.1', () => console.log('provider ready'));
});
