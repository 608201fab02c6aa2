// A real OpenID provider for the admin site's single sign-on tests (tests/browser/test_oidc.py):
// oidc-provider (an OpenID Certified implementation) with its development login and consent
// pages, one confidential client that must use PKCE (S256), and an in-memory account store.
//
// Test-only controls (never part of a real provider), on the same port under /test/:
//   PUT  /test/accounts/<login>  {"email", "email_verified", "groups"}  add or replace an account
//   POST /test/tamper            {"mode": "payload" | "none"}  alter the next ID tokens after signing
//
// Environment: PORT (0 picks a free one), CLIENT_ID, CLIENT_SECRET, REDIRECT_URI. Prints
// "listening <issuer>" on stdout once it serves.
import { generateKeyPairSync } from 'node:crypto';
import http from 'node:http';

import Provider from 'oidc-provider';

const accounts = new Map();
let tamper = 'none';

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'test-key', use: 'sig', alg: 'RS256' };

function readJson(req) {
  return new Promise((resolve, reject) => {
    let body = '';
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => { try { resolve(JSON.parse(body || '{}')); } catch (err) { reject(err); } });
  });
}

// An ID token whose payload was changed after the provider signed it: here the holder adds
// themselves to an admin group, which only a forged signature could make valid.
function alterPayload(idToken) {
  const [header, payload, signature] = idToken.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
  claims.groups = [...(claims.groups || []), 'feedback-admins'];
  return [header, Buffer.from(JSON.stringify(claims)).toString('base64url'), signature].join('.');
}

const server = http.createServer();
server.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: process.env.CLIENT_ID || 'counter-feedback',
      client_secret: process.env.CLIENT_SECRET || 'test-secret',
      redirect_uris: [process.env.REDIRECT_URI || 'http://127.0.0.1:8000/admin/login/sso/callback'],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    }],
    pkce: { methods: ['S256'], required: () => true },
    scopes: ['openid', 'email', 'profile', 'groups'],
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name'],
      groups: ['groups'],
    },
    // The scopes' claims in the ID token too (as Okta and Entra ID do with a groups claim).
    conformIdTokenClaims: false,
    jwks: { keys: [jwk] },
    cookies: { keys: ['test-only-cookie-key-0123456789'] },
    features: { devInteractions: { enabled: true } },
    async findAccount(ctx, id) {
      const account = accounts.get(id);
      if (!account) return undefined;
      return {
        accountId: id,
        // Read at each call: a group changed by the test shows in the next ID token and userinfo.
        async claims() {
          const current = accounts.get(id) || {};
          return {
            sub: id,
            email: current.email,
            email_verified: current.email_verified,
            name: current.name || id,
            groups: current.groups || [],
          };
        },
      };
    },
  });
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.path === '/token' && tamper === 'payload' && ctx.body && ctx.body.id_token) {
      ctx.body = { ...ctx.body, id_token: alterPayload(ctx.body.id_token) };
    }
  });
  const app = provider.callback();
  server.on('request', async (req, res) => {
    const path = req.url.split('?')[0];
    if (!path.startsWith('/test/')) {
      app(req, res);
      return;
    }
    try {
      const body = await readJson(req);
      if (req.method === 'PUT' && path.startsWith('/test/accounts/')) {
        accounts.set(decodeURIComponent(path.slice('/test/accounts/'.length)), body);
      } else if (req.method === 'POST' && path === '/test/tamper') {
        tamper = body.mode;
      } else {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(204).end();
    } catch (err) {
      res.writeHead(400).end(String(err));
    }
  });
  console.log(`listening ${issuer}`);
});
