import { isIP } from 'node:net';

/** The environment, as `process.env` holds it. */
export type Env = Readonly<Record<string, string | undefined>>;

/** A setting in the environment that the service cannot run with. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** A variable's value; an empty one counts as unset. */
export function setting(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === '' ? undefined : value;
}

/** A whole number from `min` to `max`, or `fallback` when unset. */
export function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = setting(env, name);
  if (raw === undefined) return fallback;
  const value = /^[0-9]+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(value >= min && value <= max)) {
    throw new ConfigError(`${name} must be an integer ${min}-${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/** An IP address literal, or undefined when unset. */
export function ipAddress(env: Env, name: string): string | undefined {
  const raw = setting(env, name);
  if (raw !== undefined && isIP(raw) === 0) throw new ConfigError(`${name} must be an IP address, got ${JSON.stringify(raw)}`);
  return raw;
}

/** One of `choices`, or `fallback` when unset. */
export function oneOf<T extends string>(env: Env, name: string, choices: readonly T[], fallback: T): T {
  const raw = setting(env, name);
  if (raw === undefined) return fallback;
  const choice = choices.find((candidate) => candidate === raw);
  if (choice === undefined) throw new ConfigError(`${name} must be one of ${choices.join(', ')}, got ${JSON.stringify(raw)}`);
  return choice;
}
