// The two services share no code at run time: each builds from its own folder.
// The few files both need are kept as identical copies, and this test keeps
// them from drifting apart.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

const SHARED = [
  'src/greeting.ts',
  'src/healthcheck.ts',
  'src/log.ts',
  'src/router.ts',
  'test/greeting.test.ts',
  'test/helpers.ts',
  'test/router.test.ts',
  'tsconfig.json',
  'tsconfig.test.json',
  '.dockerignore',
];

describe('files both services keep a copy of', () => {
  for (const file of SHARED) {
    it(`${file} is the same in service1 and service2`, () => {
      const root = new URL('../../', import.meta.url);
      const copies = ['service1', 'service2'].map((service) => readFileSync(new URL(`${service}/${file}`, root), 'utf8'));
      assert.ok(copies[0] === copies[1], `service1/${file} and service2/${file} differ: change both`);
    });
  }
});
