/**
 * HTTP basic authentication for the dashboard, with two roles. Credentials come from the environment:
 * DASHBOARD_USER / DASHBOARD_PASSWORD is an editor, DASHBOARD_VIEWER_USER / DASHBOARD_VIEWER_PASSWORD
 * (optional) a viewer. Every route needs one of them except the probes and the metrics that
 * orchestrators and Prometheus scrape without a browser; writes need an editor (writeGuard).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

export interface Credentials {
  user: string;
  password: string;
  /** Default editor: may write (corrections). A viewer only reads. */
  role?: Role;
}

export type Role = 'editor' | 'viewer';

/** Who made a request: the user name and role (development mode: `dev`, an editor). */
export interface RequestUser {
  name: string;
  role: Role;
}

declare module 'fastify' {
  interface FastifyRequest {
    user?: RequestUser;
  }
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

/**
 * An onRequest hook: 401 with a basic-auth challenge unless the path is public or one of the
 * credentials matches (then `request.user` says who, and in which role). Null credentials
 * (development mode): everyone is the editor `dev`.
 */
export function basicAuthHook(users: readonly Credentials[] | null) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (users === null) {
      request.user = { name: 'dev', role: 'editor' };
      return;
    }
    const path = request.url.split('?')[0]!;
    if (PUBLIC_PATHS.has(path)) return;
    // Every candidate is compared (no early exit), so timing says nothing about which one matched.
    const matches = users.map((c) => credentialsMatch(request.headers.authorization, c));
    const found = users.find((_, i) => matches[i]);
    if (found) {
      request.user = { name: found.user, role: found.role ?? 'editor' };
      return;
    }
    await reply
      .code(401)
      .header('www-authenticate', 'Basic realm="cv-pipeline", charset="UTF-8"')
      .type('application/json')
      .send({ error: 'authentication required' });
  };
}

/**
 * A preHandler for writes: 401 without credentials, 403 for a viewer, and 403 for a request a
 * browser marks as coming from another site (Sec-Fetch-Site, or an Origin that is not this host).
 * With the JSON content type the write routes require, a cross-site form cannot forge a write: it
 * can send neither that content type nor DELETE, and fetch from another origin needs a CORS
 * preflight this server never grants.
 */
export async function writeGuard(request: FastifyRequest, reply: FastifyReply) {
  if (!request.user) return reply.code(401).send({ error: 'authentication required' });
  if (request.user.role !== 'editor') return reply.code(403).send({ error: `${request.user.name} is a viewer; writes need an editor (DASHBOARD_USER)` });
  const site = request.headers['sec-fetch-site'];
  const origin = request.headers.origin;
  const host = request.headers.host;
  if ((site && site !== 'same-origin' && site !== 'none') || (origin && host && new URL(origin, 'http://x').host !== host)) {
    return reply.code(403).send({ error: 'cross-site write refused' });
  }
}
