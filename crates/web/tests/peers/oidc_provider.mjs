// A real OpenID Connect provider for the sign-in tests: panva's oidc-provider (OpenID
// Certified), from the npm registry, with its development login pages (any login, any
// password). Two switches let a test make it misbehave the ways a hostile or broken provider
// would: `/__test/skew?seconds=N` moves its clock (an ID token already expired), and
// `/__test/rogue?on=1` signs the ID tokens it issues with a key it does not publish, under the
// published key's id (a token forged by someone who does not hold the provider's key).
//
// node oidc_provider.mjs MODULE PORT REDIRECT_URI POST_LOGOUT_URI
//   MODULE: the path of oidc-provider's lib/index.js; prints "ready" once it listens.

import { createSign, generateKeyPairSync } from 'node:crypto';
import { pathToFileURL } from 'node:url';

const [module, port, redirectUri, postLogoutUri] = process.argv.slice(2);
const { default: Provider } = await import(pathToFileURL(module).href);

let skewSeconds = 0;
const realNow = Date.now;
Date.now = () => realNow() + skewSeconds * 1000;

const signingKey = (kid) => {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'RS256' };
};
const held = signingKey('signing-key');
const { privateKey: forger } = generateKeyPairSync('rsa', { modulusLength: 2048 });
let rogueOn = false;

const issuer = `http://127.0.0.1:${port}`;
const provider = new Provider(issuer, {
  clients: [{
    client_id: 'baocao',
    client_secret: 'a-secret-of-baocao',
    redirect_uris: [redirectUri],
    post_logout_redirect_uris: [postLogoutUri],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  pkce: { required: () => true },
  jwks: { keys: [held] },
  cookies: { keys: ['cookie-key-of-the-test-provider'] },
  ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600 },
  claims: { openid: ['sub'], profile: ['preferred_username', 'name'] },
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  findAccount: async (ctx, id) => ({
    accountId: id,
    // A citizen's account at the portal carries no baocao username: it is linked by an administrator.
    claims: async () => (id.startsWith('citizen-') ? { sub: id, name: id } : { sub: id, preferred_username: id, name: id }),
  }),
  // The ID token carries the profile claims (the client reads no userinfo).
  conformIdTokenClaims: false,
});
provider.proxy = false;
provider.use(async (ctx, next) => {
  if (ctx.path === '/__test/skew') {
    skewSeconds = Number(ctx.query.seconds || 0);
    ctx.body = 'ok';
    return;
  }
  if (ctx.path === '/__test/rogue') {
    rogueOn = ctx.query.on === '1';
    ctx.body = 'ok';
    return;
  }
  await next();
  if (rogueOn && ctx.path === '/token' && ctx.body && ctx.body.id_token) {
    const [header, payload] = ctx.body.id_token.split('.');
    const signature = createSign('RSA-SHA256').update(`${header}.${payload}`).sign(forger);
    ctx.body = { ...ctx.body, id_token: `${header}.${payload}.${signature.toString('base64url')}` };
  }
});
provider.listen(Number(port), '127.0.0.1', () => console.log('ready'));
