// node_announcement addresses as the graph keeps them (GraphAddress: host strings ready for a
// connect) from the wire codec's descriptors (NodeAddress: raw bytes). BOLT 7 address descriptors:
// 1 IPv4, 2 IPv6, 3 Tor v2 (deprecated), 4 Tor v3, 5 DNS hostname, 6 WebSocket port.
import type { NodeAddress } from '../wire/gossip.ts';
import type { GraphAddress } from './graph.ts';

const B32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** RFC 4648 base32, lowercase, no padding (a Tor v3 onion name: 35 bytes → 56 characters). */
export function base32Lower(b: Uint8Array): string {
  let out = '';
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < b.length; i++) {
    acc = ((acc << 8) | b[i]!) & 0xfff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += B32[(acc >> bits) & 31];
    }
  }
  if (bits > 0) out += B32[(acc << (5 - bits)) & 31];
  return out;
}

/** IPv6 text (RFC 5952: lowercase, the longest run of two or more zero groups as `::`). */
export function ipv6Text(a: Uint8Array): string {
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push((a[i]! << 8) | a[i + 1]!);
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) (best = i), (bestLen = j - i);
    i = j;
  }
  const hex = (xs: number[]) => xs.map((x) => x.toString(16)).join(':');
  if (best < 0) return hex(g);
  return `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}

/**
 * The graph's form of decoded descriptors, in the announced order. Tor v2 is dropped (BOLT 7: the
 * receiving node "SHOULD ignore Tor v2 onion services").
 */
export function toGraphAddresses(list: readonly NodeAddress[]): GraphAddress[] {
  const out: GraphAddress[] = [];
  for (const a of list) {
    switch (a.type) {
      case 'ipv4':
        out.push({ type: 'ipv4', host: `${a.addr[0]}.${a.addr[1]}.${a.addr[2]}.${a.addr[3]}`, port: a.port });
        break;
      case 'ipv6':
        out.push({ type: 'ipv6', host: ipv6Text(a.addr), port: a.port });
        break;
      case 'torv3':
        out.push({ type: 'torv3', host: `${base32Lower(a.addr)}.onion`, port: a.port });
        break;
      case 'dns':
        out.push({ type: 'dns', host: a.hostname, port: a.port });
        break;
      case 'websocket':
        out.push({ type: 'websocket', port: a.port });
        break;
      case 'torv2':
        break;
    }
  }
  return out;
}
