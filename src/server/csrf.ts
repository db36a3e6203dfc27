/**
 * CSRF tokens for the workbench page's forms (the only writes that are not JSON): an HMAC of the
 * user name under a secret derived from the dashboard's credentials, so every `serve` instance
 * behind one load balancer accepts the tokens of the others, and a token is worthless to another
 * user. Without credentials (development mode) the secret is random per process.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Credentials } from './auth.ts';

export function csrfSecret(users: readonly Credentials[] | null): Buffer {
  if (!users || users.length === 0) return randomBytes(32);
  return createHash('sha256').update(`cv-pipeline csrf\0${users.map((u) => `${u.user}\0${u.password}`).join('\0')}`).digest();
}

export function csrfToken(secret: Buffer, user: string): string {
  return createHmac('sha256', secret).update(user).digest('base64url');
}

export function csrfValid(secret: Buffer, user: string, token: unknown): boolean {
  if (typeof token !== 'string') return false;
  const expected = Buffer.from(csrfToken(secret, user));
  const given = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
