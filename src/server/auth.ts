/**
 * HTTP basic authentication for the dashboard. Credentials come from the environment
 * (DASHBOARD_USER, DASHBOARD_PASSWORD); every route needs them except the probes and the metrics
 * that orchestrators and Prometheus scrape without a browser.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

export interface Credentials {
  user: string;
  password: string;
}

/** Paths reachable without credentials (exact match, query string ignored). */
export const PUBLIC_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/**
 * Compares digests, so the comparison takes the same time whatever the lengths and contents: the
 * response time tells an attacker nothing about how much of a guess was right.
 */
export function credentialsMatch(header: string | undefined, expected: Credentials): boolean {
  if (!header?.startsWith('Basic ')) return false;
  const decoded = Buffer.from(header.slice('Basic '.length).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return false;
  const userOk = timingSafeEqual(digest(decoded.slice(0, colon)), digest(expected.user));
  const passwordOk = timingSafeEqual(digest(decoded.slice(colon + 1)), digest(expected.password));
  return userOk && passwordOk;
}

/** An onRequest hook: 401 with a basic-auth challenge unless the path is public or the credentials match. */
export function basicAuthHook(credentials: Credentials) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?')[0]!;
    if (PUBLIC_PATHS.has(path)) return;
    if (credentialsMatch(request.headers.authorization, credentials)) return;
    await reply
      .code(401)
      .header('www-authenticate', 'Basic realm="cv-pipeline", charset="UTF-8"')
      .type('application/json')
      .send({ error: 'authentication required' });
  };
}
