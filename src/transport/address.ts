// `remote_addr` for our `init` (BOLT 1: "SHOULD set `remote_addr` to reflect the remote IP address
// (and port) of an incoming connection ... SHOULD NOT set private addresses"), encoded as a BOLT 7
// address descriptor: type 1 = IPv4 (4 bytes + u16 port), type 2 = IPv6 (16 bytes + u16 port).
import { isIPv4, isIPv6 } from 'node:net';

function ipv4Bytes(ip: string): Uint8Array {
  return Uint8Array.from(ip.split('.').map((x) => Number(x)));
}

function ipv6Bytes(ip: string): Uint8Array | undefined {
  const zone = ip.indexOf('%');
  if (zone >= 0) ip = ip.slice(0, zone);
  if (ip.includes('.')) {
    // Embedded IPv4 in the last 32 bits (e.g. ::ffff:1.2.3.4): rewrite as two hex groups.
    const lastColon = ip.lastIndexOf(':');
    const v4 = ip.slice(lastColon + 1);
    if (!isIPv4(v4)) return undefined;
    const b = ipv4Bytes(v4);
    ip = `${ip.slice(0, lastColon + 1)}${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const parts = ip.split('::');
  if (parts.length > 2) return undefined;
  const parse = (s: string) => (s === '' ? [] : s.split(':').map((h) => (/^[0-9a-fA-F]{1,4}$/.test(h) ? parseInt(h, 16) : -1)));
  const head = parse(parts[0]!);
  const rest = parts.length === 2 ? parse(parts[1]!) : [];
  const zeros = parts.length === 2 ? 8 - head.length - rest.length : 0;
  if (zeros < 0) return undefined;
  const groups = [...head, ...new Array<number>(zeros).fill(0), ...rest];
  if (groups.length !== 8 || groups.some((g) => g < 0)) return undefined;
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

function privateV4(b: Uint8Array): boolean {
  const [a, c] = [b[0]!, b[1]!];
  return (
    a === 0 || a === 10 || a === 127 || (a === 100 && c >= 64 && c < 128) || (a === 169 && c === 254) ||
    (a === 172 && c >= 16 && c < 32) || (a === 192 && c === 168) || a >= 224
  );
}

function privateV6(b: Uint8Array): boolean {
  if (b.every((x, i) => (i < 15 ? x === 0 : true))) return true; // :: and ::1
  if ((b[0]! & 0xfe) === 0xfc) return true; // fc00::/7 unique local
  if (b[0] === 0xfe && (b[1]! & 0xc0) === 0x80) return true; // fe80::/10 link local
  if (b[0] === 0xff) return true; // multicast
  return false;
}

/**
 * The address descriptor for `ip:port`, or undefined for a private, loopback or unparsable
 * address (which BOLT 1 says not to send).
 */
export function remoteAddrDescriptor(ip: string | undefined, port: number | undefined): Uint8Array | undefined {
  if (!ip || port === undefined || !Number.isInteger(port) || port <= 0 || port > 0xffff) return undefined;
  let v4: Uint8Array | undefined;
  let v6: Uint8Array | undefined;
  if (isIPv4(ip)) v4 = ipv4Bytes(ip);
  else if (isIPv6(ip)) {
    v6 = ipv6Bytes(ip);
    if (!v6) return undefined;
    // IPv4-mapped (::ffff:a.b.c.d): describe as IPv4.
    if (v6.subarray(0, 10).every((x) => x === 0) && v6[10] === 0xff && v6[11] === 0xff) {
      v4 = v6.slice(12);
      v6 = undefined;
    }
  } else return undefined;
  if (v4) {
    if (privateV4(v4)) return undefined;
    return Uint8Array.from([1, ...v4, port >> 8, port & 0xff]);
  }
  if (privateV6(v6!)) return undefined;
  return Uint8Array.from([2, ...v6!, port >> 8, port & 0xff]);
}

/** `host:port`, with brackets around an IPv6 host. */
export function formatHostPort(host: string | undefined, port: number | undefined): string {
  const h = host ?? '?';
  return `${h.includes(':') ? `[${h}]` : h}:${port ?? '?'}`;
}
