import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatEndpoint, greetingLine } from '../src/greeting.ts';

describe('formatEndpoint', () => {
  it('writes IPv4 as address:port', () => {
    assert.equal(formatEndpoint('172.18.0.1', 8001), '172.18.0.1:8001');
  });

  it('writes an IPv4-mapped IPv6 address as the IPv4 address it carries', () => {
    assert.equal(formatEndpoint('::ffff:172.18.0.1', 41234), '172.18.0.1:41234');
  });

  it('writes IPv6 in brackets', () => {
    assert.equal(formatEndpoint('fd00::2', 8001), '[fd00::2]:8001');
    assert.equal(formatEndpoint('::1', 80), '[::1]:80');
  });

  it('keeps an IPv6 address that only starts like a mapped one in brackets', () => {
    assert.equal(formatEndpoint('::ffff:ac12:1', 80), '[::ffff:ac12:1]:80');
  });
});

describe('greetingLine', () => {
  it('names the remote end first and the local end second, ending in a newline', () => {
    const line = greetingLine({
      remoteAddress: '::ffff:172.18.0.1',
      remotePort: 53312,
      localAddress: '::ffff:172.18.0.2',
      localPort: 8001,
    });
    assert.equal(line, 'Hello from 172.18.0.1:53312 to 172.18.0.2:8001\n');
  });

  it('is undefined for a socket that no longer knows its ends', () => {
    assert.equal(greetingLine({ localAddress: '127.0.0.1', localPort: 8001 }), undefined);
    assert.equal(greetingLine({ remoteAddress: '127.0.0.1', remotePort: 8001 }), undefined);
  });

  const whole = { remoteAddress: '10.0.0.1', remotePort: 40000, localAddress: '10.0.0.2', localPort: 8001 } as const;
  for (const missing of ['remoteAddress', 'remotePort', 'localAddress', 'localPort'] as const) {
    it(`is undefined for a socket that knows every end but its ${missing}`, () => {
      assert.equal(greetingLine({ ...whole, [missing]: undefined }), undefined);
    });
  }
});
