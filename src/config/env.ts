/**
 * The typed readers every config section uses. Each takes the environment and
 * a variable name and throws a ConfigError naming that variable when its value
 * is malformed, so a bad setting stops start-up with one line.
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';

export type Env = Readonly<Record<string, string | undefined>>;

/** The trimmed value; unset and blank are both undefined. */
export function str(env: Env, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

/** A password or other secret, taken as it is (spaces may be part of it); unset and empty are undefined. */
export function secret(env: Env, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v === '' ? undefined : v;
}

export function int(env: Env, name: string, def: number, min: number, max: number): number {
  const v = str(env, name);
  if (v === undefined) return def;
  if (!/^\d+$/.test(v)) throw new ConfigError(name, `expected an integer between ${min} and ${max}, got ${JSON.stringify(v)}`);
  const n = Number(v);
  if (n < min || n > max) throw new ConfigError(name, `expected an integer between ${min} and ${max}, got ${n}`);
  return n;
}

export function num(env: Env, name: string, def: number, min: number, max: number): number {
  const v = str(env, name);
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max) throw new ConfigError(name, `expected a number between ${min} and ${max}, got ${JSON.stringify(v)}`);
  return n;
}

export function onOff(env: Env, name: string, def: boolean): boolean {
  const v = str(env, name)?.toLowerCase();
  if (v === undefined) return def;
  if (['on', 'true', '1', 'yes'].includes(v)) return true;
  if (['off', 'false', '0', 'no'].includes(v)) return false;
  throw new ConfigError(name, `expected on or off, got ${JSON.stringify(v)}`);
}

/** One of `allowed` (case-insensitive), or `def` when unset. */
export function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], def: T): T {
  const v = str(env, name)?.toLowerCase();
  if (v === undefined) return def;
  if (!(allowed as readonly string[]).includes(v)) throw new ConfigError(name, `expected one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
  return v as T;
}

/** A name (topic, index) that must match `pattern`, or `def`; otherwise `not a valid <what>: "<value>"`. */
export function name(env: Env, variable: string, def: string, pattern: RegExp, what: string): string {
  const v = str(env, variable) ?? def;
  if (!pattern.test(v)) throw new ConfigError(variable, `not a valid ${what}: ${JSON.stringify(v)}`);
  return v;
}

/** A URL fit for logs: user and password replaced by `***`. */
export function redactUrl(raw: string): string {
  try {
    const u = new URL(raw);
    if (u.username || u.password) {
      u.username = '***';
      u.password = '';
    }
    return u.toString().replace(/\/$/, raw.endsWith('/') ? '/' : '');
  } catch {
    return raw.replace(/\/\/[^/@]*@/, '//***@');
  }
}

/** `v` parsed as a URL with one of `protocols`; otherwise a ConfigError saying `expected` (credentials redacted). */
export function parseUrl(name: string, v: string, protocols: readonly string[], expected: string): URL {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new ConfigError(name, `expected ${expected}, got ${JSON.stringify(redactUrl(v))}`);
  }
  if (!protocols.includes(u.protocol)) throw new ConfigError(name, `expected ${expected}, got ${JSON.stringify(redactUrl(v))}`);
  return u;
}

/** An http(s) URL, as written. */
export function url(env: Env, name: string): string | undefined {
  const v = str(env, name);
  if (v === undefined) return undefined;
  parseUrl(name, v, ['http:', 'https:'], 'an http(s) URL');
  return v;
}

/** `30s`, `15m`, `1h`, `2d` (or `0`) in ms. */
export function parseDuration(name: string, v: string): number {
  const m = /^(\d{1,9})(ms|s|m|h|d)?$/.exec(v.trim());
  if (!m || (m[2] === undefined && m[1] !== '0')) throw new ConfigError(name, `expected a duration such as 30s, 15m or 1h (or 0 for off), got ${JSON.stringify(v)}`);
  const units: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  return Number(m[1]) * (units[m[2] ?? 'ms'] ?? 1);
}

/** Defines `key` on `o` as a read-only property that JSON, pino and `Object.values` skip. */
export function hidden<T extends object, K extends string, V>(o: T, key: K, value: V): T & { readonly [P in K]: V } {
  return Object.defineProperty(o, key, { value, enumerable: false, writable: false }) as T & { readonly [P in K]: V };
}

export function deepFreeze<T>(o: T): T {
  if (typeof o === 'object' && o !== null && !Object.isFrozen(o) && !(o instanceof Set)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

/**
 * The text of the file at `path` (named by variable `name`); an unreadable file
 * is a ConfigError: `cannot read "<path>" (<errno code>); <expected>`.
 * `noCode` describes an error without an errno code.
 */
export function readTextFile(name: string, path: string, expected: string, noCode: (e: unknown) => string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    throw new ConfigError(name, `cannot read ${JSON.stringify(path)} (${typeof code === 'string' ? code : noCode(e)}); ${expected}`);
  }
}
