// BOLT 7, node_announcement: the `addresses` field, a series of address descriptors (1-byte type,
// then the type's data). This file decodes and encodes them and states the list's rules; the
// node_announcement codec (gossip.ts) calls it.
//
// The types BOLT 7 defines:
//   1: ipv4, `[4:ipv4_addr][2:port]` (length 6)
//   2: ipv6, `[16:ipv6_addr][2:port]` (length 18)
//   3: deprecated (length 12), used to contain Tor v2 onion services
//   4: Tor v3 onion service, `[35:onion_addr][2:port]` (length 37)
//   5: DNS hostname, `[1:hostname_len][hostname_len:hostname][2:port]` (length up to 258)
// and one more that the BOLT 7 text at the vectors' commit does not list but Core Lightning
// announces (bolts PR #891, `ADDR_TYPE_WEBSOCKET`): 6, WebSocket port, `[2:port]` (length 2), the
// node accepting WebSocket connections on that port at the host of its other addresses.
//
// BOLT 7, the receiving node: "SHOULD ignore the first `address descriptor` that does NOT match
// the types defined above" — an unknown type has no known length, so parsing stops there and the
// bytes from it to the end are kept uninterpreted (`unknownAddressBytes`), which is what the
// ascending order of types makes safe ("unknown ones can be safely ignored").
import { WireError } from './errors.ts';
import { toHex } from '../util/bytes.ts';

export type NodeAddress =
  | { type: 'ipv4'; addr: Uint8Array; port: number }
  | { type: 'ipv6'; addr: Uint8Array; port: number }
  /** Type 3, deprecated: BOLT 7 "SHOULD ignore Tor v2 onion services"; kept so re-encoding is exact. */
  | { type: 'torv2'; addr: Uint8Array; port: number }
  /** `addr`: 35 bytes, `ed25519 pubkey (32) || checksum (2) || version (1)`. */
  | { type: 'torv3'; addr: Uint8Array; port: number }
  /** `hostname`: ASCII only (BOLT 7: "`hostname` bytes MUST be ASCII characters"). */
  | { type: 'dns'; hostname: string; port: number }
  | { type: 'websocket'; port: number };

export type NodeAddressType = NodeAddress['type'];

/** Descriptor type byte of each address type. */
export const ADDRESS_TYPE: Readonly<Record<NodeAddressType, number>> = {
  ipv4: 1,
  ipv6: 2,
  torv2: 3,
  torv3: 4,
  dns: 5,
  websocket: 6,
};

/** Fixed data lengths (after the type byte); DNS is variable. */
const FIXED_LEN: Readonly<Record<number, number>> = { 1: 6, 2: 18, 3: 12, 4: 37, 6: 2 };

export interface DecodedAddresses {
  addresses: NodeAddress[];
  /** From the first descriptor of an unknown type to the end of `addresses` (empty if none). */
  unknownAddressBytes: Uint8Array;
}

const be16 = (b: Uint8Array, o: number) => (b[o]! << 8) | b[o + 1]!;

/**
 * Decode the `addresses` field (its `addrlen` bytes). BOLT 7: "if `addrlen` is insufficient to hold
 * the address descriptors of the known types: SHOULD send a `warning`" — a known descriptor cut
 * short throws a WireError naming it; a DNS hostname with a non-ASCII byte throws too ("`hostname`
 * bytes MUST be ASCII characters"). Fields are views into `buf`.
 */
export function decodeNodeAddresses(buf: Uint8Array, field = 'node_announcement.addresses'): DecodedAddresses {
  const addresses: NodeAddress[] = [];
  let off = 0;
  while (off < buf.length) {
    const type = buf[off]!;
    const at = `${field}[${addresses.length}]`;
    let len = FIXED_LEN[type];
    if (type === 5) {
      if (off + 2 > buf.length) throw new WireError(`${at}.hostname_len`, 'addrlen is insufficient to hold the address descriptor (DNS hostname)');
      len = 1 + buf[off + 1]! + 2;
    }
    if (len === undefined) return { addresses, unknownAddressBytes: buf.subarray(off) };
    if (off + 1 + len > buf.length) {
      throw new WireError(at, `addrlen is insufficient to hold the address descriptor of type ${type} (needs ${len} bytes, ${buf.length - off - 1} left)`);
    }
    const d = off + 1;
    switch (type) {
      case 1:
        addresses.push({ type: 'ipv4', addr: buf.subarray(d, d + 4), port: be16(buf, d + 4) });
        break;
      case 2:
        addresses.push({ type: 'ipv6', addr: buf.subarray(d, d + 16), port: be16(buf, d + 16) });
        break;
      case 3:
        addresses.push({ type: 'torv2', addr: buf.subarray(d, d + 10), port: be16(buf, d + 10) });
        break;
      case 4:
        addresses.push({ type: 'torv3', addr: buf.subarray(d, d + 35), port: be16(buf, d + 35) });
        break;
      case 5: {
        const n = buf[d]!;
        const h = buf.subarray(d + 1, d + 1 + n);
        let s = '';
        for (let i = 0; i < h.length; i++) {
          if (h[i]! > 0x7f) throw new WireError(`${at}.hostname`, 'hostname bytes MUST be ASCII characters (non-ASCII must be Punycode)');
          s += String.fromCharCode(h[i]!);
        }
        addresses.push({ type: 'dns', hostname: s, port: be16(buf, d + 1 + n) });
        break;
      }
      case 6:
        addresses.push({ type: 'websocket', port: be16(buf, d) });
        break;
    }
    off = d + len;
  }
  return { addresses, unknownAddressBytes: buf.subarray(buf.length) };
}

/** Encoded size of one descriptor, type byte included. */
export function nodeAddressLength(a: NodeAddress): number {
  return a.type === 'dns' ? 1 + 1 + a.hostname.length + 2 : 1 + FIXED_LEN[ADDRESS_TYPE[a.type]]!;
}

/**
 * Encode descriptors in the order given, then `unknownAddressBytes` (kept from a decoded
 * announcement so re-encoding is exact). RangeError for a value no correct caller passes (wrong
 * address length, port out of range, hostname longer than 255 or not ASCII); the BOLT 7 list
 * rules (order, port 0, one DNS name) are {@link nodeAddressIssues}'s business.
 */
export function encodeNodeAddresses(addresses: readonly NodeAddress[], unknownAddressBytes: Uint8Array = new Uint8Array(0)): Uint8Array {
  let n = unknownAddressBytes.length;
  for (const a of addresses) n += nodeAddressLength(a);
  const out = new Uint8Array(n);
  let o = 0;
  const port = (p: number) => {
    if (!Number.isInteger(p) || p < 0 || p > 0xffff) throw new RangeError(`address port out of u16 range: ${p}`);
    out[o++] = p >> 8;
    out[o++] = p & 0xff;
  };
  const fixed = (a: { addr: Uint8Array }, len: number, what: string) => {
    if (a.addr.length !== len) throw new RangeError(`${what} address must be ${len} bytes, got ${a.addr.length}`);
    out.set(a.addr, o);
    o += len;
  };
  for (const a of addresses) {
    out[o++] = ADDRESS_TYPE[a.type];
    switch (a.type) {
      case 'ipv4':
        fixed(a, 4, 'ipv4');
        break;
      case 'ipv6':
        fixed(a, 16, 'ipv6');
        break;
      case 'torv2':
        fixed(a, 10, 'torv2');
        break;
      case 'torv3':
        fixed(a, 35, 'torv3');
        break;
      case 'dns': {
        const h = a.hostname;
        if (h.length > 255) throw new RangeError(`dns hostname longer than 255 bytes (${h.length})`);
        out[o++] = h.length;
        for (let i = 0; i < h.length; i++) {
          const c = h.charCodeAt(i);
          if (c > 0x7f) throw new RangeError('dns hostname must be ASCII (BOLT 7: non-ASCII characters MUST be encoded using Punycode)');
          out[o++] = c;
        }
        break;
      }
      case 'websocket':
        break;
    }
    port(a.port);
  }
  out.set(unknownAddressBytes, o);
  return out;
}

/** A broken rule of BOLT 7's address list, with the index of the descriptor it concerns. */
export interface NodeAddressIssue {
  index: number;
  rule:
    | 'not_ascending' // origin "MUST place address descriptors in ascending order"
    | 'port_zero' // receiver "if `port` is equal to 0: SHOULD ignore `ipv6_addr` OR `ipv4_addr` OR `hostname`"
    | 'torv2' // receiver "SHOULD ignore Tor v2 onion services"
    | 'extra_dns' // receiver "if more than one `type 5` address is announced: SHOULD ignore the additional data. MUST not forward"
    | 'dns_hostname_charset' // not a hostname of letters, digits, '-' and '.' labels (1..63 chars each)
    | 'duplicate'; // the same descriptor twice
}

const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** Whether `h` is a DNS hostname as RFC 1123 writes them (Punycode labels `xn--…` included). */
export function isValidDnsHostname(h: string): boolean {
  if (h.length === 0 || h.length > 253) return false;
  const s = h.endsWith('.') ? h.slice(0, -1) : h;
  return s.split('.').every((l) => LABEL.test(l));
}

function addressKey(a: NodeAddress): string {
  switch (a.type) {
    case 'dns':
      return `dns:${a.hostname.toLowerCase()}:${a.port}`;
    case 'websocket':
      return `ws:${a.port}`;
    default:
      return `${a.type}:${toHex(a.addr)}:${a.port}`;
  }
}

/**
 * The BOLT 7 rules an address list breaks (empty when none). None of them makes the announcement
 * invalid: the receiver ignores the offending descriptor (`port_zero`, `torv2`, `extra_dns`,
 * `dns_hostname_charset`, `duplicate`) and does not forward an announcement with `extra_dns`;
 * `not_ascending` is an origin rule only ("MUST place address descriptors in ascending order"),
 * so our own announcements refuse it and received ones merely report it.
 */
export function nodeAddressIssues(addresses: readonly NodeAddress[]): NodeAddressIssue[] {
  const issues: NodeAddressIssue[] = [];
  const seen = new Set<string>();
  let lastType = 0;
  let dns = 0;
  addresses.forEach((a, index) => {
    const t = ADDRESS_TYPE[a.type];
    if (t < lastType) issues.push({ index, rule: 'not_ascending' });
    lastType = Math.max(lastType, t);
    // BOLT 7: "MUST NOT create a `type 1`, `type 2` or `type 5` address descriptor with `port` equal to 0."
    if (a.port === 0 && (a.type === 'ipv4' || a.type === 'ipv6' || a.type === 'dns')) issues.push({ index, rule: 'port_zero' });
    if (a.type === 'torv2') issues.push({ index, rule: 'torv2' });
    if (a.type === 'dns') {
      // BOLT 7: "MUST NOT announce more than one `type 5` DNS hostname."
      if (++dns > 1) issues.push({ index, rule: 'extra_dns' });
      else if (!isValidDnsHostname(a.hostname)) issues.push({ index, rule: 'dns_hostname_charset' });
    }
    const k = addressKey(a);
    if (seen.has(k)) issues.push({ index, rule: 'duplicate' });
    seen.add(k);
  });
  return issues;
}

/**
 * The addresses a receiver may use: without the descriptors BOLT 7 says to ignore (port 0, Tor v2,
 * DNS names after the first or not hostnames, duplicates), in the announced order.
 */
export function usableNodeAddresses(addresses: readonly NodeAddress[]): NodeAddress[] {
  const drop = new Set(nodeAddressIssues(addresses).filter((i) => i.rule !== 'not_ascending').map((i) => i.index));
  return addresses.filter((_, i) => !drop.has(i));
}
