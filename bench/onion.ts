// Onion message performance, each figure as a ratio of the bound the elliptic-curve work alone
// sets, measured in the same run:
//
//   onion-build  builds per second of a 4-hop onion message (to a node id over 3 clear hops: we
//                blind the 4 hops ourselves, then wrap the Sphinx packet), as buildOnionMessage
//                does for OnionMessenger.send. Its elliptic-curve operations:
//                  route blinding, per hop: ss_i = ECDH(e_i, N_i)            → 1 ECDH
//                                           B_i = HMAC(ss_i) · N_i           → 1 point multiplication
//                                           E_i = e_i · G                    → 1 base-point multiplication
//                  Sphinx, per hop:         ss_k = ECDH(ek_k, B_k)           → 1 ECDH
//                                           epk_k = ek_k · G                 → 1 base-point multiplication
//                bound_s = 8 × t(ECDH) + 4 × t(point mult) + 8 × t(base mult)
//                (the scalar products e·H and ek·bf are plain modular arithmetic, counted as overhead)
//   onion-peel   one forwarding hop processed per second (peelOnionMessage: unblind, peel, read
//                the encrypted data, next keys), as the messenger does for every incoming message:
//                  blinding_ss = ECDH(k, path_key)                            → 1 ECDH
//                  ss = ECDH(b, public_key), b = HMAC(blinding_ss) · k         → 1 ECDH
//                  next public_key = SHA256(public_key || ss) · public_key     → 1 point multiplication
//                  next path_key = SHA256(E || blinding_ss) · E                → 1 point multiplication
//                bound_s = 2 × t(ECDH) + 2 × t(point mult)
//
// Everything else (ChaCha20 streams over 2 × 1300 bytes, HMACs, ChaCha20-Poly1305 of the
// encrypted data, TLV parsing, point validation) is overhead counted against us. target = 0.7.
import { deterministicRandom, ecdh, isPrivateKey, pointMultiply, publicKey } from '../src/crypto/index.ts';
import { buildOnionMessage, peelOnionMessage } from '../src/onion-message/index.ts';
import { encodeOnionMessage } from '../src/wire/messages.ts';
import { timeUs } from './_timing.ts';

/** Best µs per call of `f` over `rounds` rounds of `n` calls. */
const timeOne = (n: number, rounds: number, f: () => void): number => timeUs(n, rounds, [f])[0]!;

const rnd = deterministicRandom('bench-onion');
function scalar(): Uint8Array {
  for (;;) {
    const k = rnd(32);
    if (isPrivateKey(k)) return k;
  }
}

export async function run(): Promise<void> {
  const keys = Array.from({ length: 5 }, () => scalar());
  const ids = keys.map((k) => publicKey(k));
  const rounds = 5;

  // The primitives, on fixed inputs.
  const s = scalar();
  const tweak = scalar();
  const P = ids[0]!;
  const tEcdh = timeOne(300, rounds, () => ecdh(s, P));
  const tMul = timeOne(300, rounds, () => pointMultiply(P, tweak));
  const tBase = timeOne(300, rounds, () => publicKey(s));

  // onion-build: 4 hops (3 clear via + destination), a 200-byte payload.
  const contents = { type: 64n, value: new Uint8Array(200) };
  const via = ids.slice(0, 3);
  const dest = ids[3]!;
  const sessionKeys = Array.from({ length: 64 }, () => scalar());
  let i = 0;
  const tBuild = timeOne(100, rounds, () => {
    buildOnionMessage({
      route: { via, destination: { nodeId: dest } },
      final: { contents },
      sessionKey: sessionKeys[i++ % 64]!,
      blindingSecret: sessionKeys[(i * 7) % 64]!,
    });
  });
  const buildBound = 8 * tEcdh + 4 * tMul + 8 * tBase;

  // onion-peel: the first (forwarding) hop of such a message.
  const b = buildOnionMessage({ route: { via, destination: { nodeId: dest } }, final: { contents }, sessionKey: scalar(), blindingSecret: scalar() });
  const r0 = peelOnionMessage(keys[0]!, b.pathKey, b.packet);
  if (r0.kind !== 'forward') throw new Error('bench: expected a forward');
  const tPeel = timeOne(200, rounds, () => {
    peelOnionMessage(keys[0]!, b.pathKey, b.packet);
  });
  const peelBound = 2 * tEcdh + 2 * tMul;

  const perSec = (us: number) => (1e6 / us).toFixed(0);
  console.log(
    `BENCH onion-build ratio=${(buildBound / tBuild).toFixed(3)} target=0.7 builds_per_sec=${perSec(tBuild)} bound_per_sec=${perSec(buildBound)} ` +
      `hops=4 packet_bytes=${b.packet.length} ecdh_per_sec=${perSec(tEcdh)} pointmul_per_sec=${perSec(tMul)} basemul_per_sec=${perSec(tBase)}`,
  );
  console.log(
    `BENCH onion-peel ratio=${(peelBound / tPeel).toFixed(3)} target=0.7 peels_per_sec=${perSec(tPeel)} bound_per_sec=${perSec(peelBound)} ` +
      `ecdh_per_sec=${perSec(tEcdh)} pointmul_per_sec=${perSec(tMul)} message_bytes=${encodeOnionMessage({ pathKey: b.pathKey, onionPacket: b.packet }).length}`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
