// `npm run fuzz [-- <inputs> [<seed>]]`: the BOLT 12 fuzzer over 10^6 mutated inputs (default),
// printing counts. Exit status 1 when any decoder threw something other than a typed error, a
// decoded message did not round-trip, or a call took longer than the bound.
import { runFuzz } from './engine.ts';

const inputs = Number(process.argv[2] ?? 1_000_000);
const seed = Number(process.argv[3] ?? 12);
const MAX_CALL_MS = 1000;

console.log(`BOLT 12 fuzz: ${inputs} inputs, seed ${seed}`);
const rep = runFuzz(inputs, seed, (done, r) => {
  console.log(`  ${done} inputs, ${r.decoderCalls} decoder calls, ${r.accepted} accepted, ${r.rejected} typed errors, ${r.otherExceptions} other exceptions`);
});
console.log(`inputs:               ${rep.inputs}`);
console.log(`decoder calls:        ${rep.decoderCalls}`);
console.log(`accepted:             ${rep.accepted}`);
console.log(`typed errors:         ${rep.rejected}`);
console.log(`other exceptions:     ${rep.otherExceptions}`);
console.log(`round-trip failures:  ${rep.roundTripFailures}`);
console.log(`slowest call:         ${rep.maxCallMs.toFixed(1)} ms`);
console.log(`time:                 ${rep.seconds.toFixed(1)} s`);
console.log('errors by code:');
for (const [code, n] of Object.entries(rep.byCode).sort((a, b) => b[1] - a[1])) console.log(`  ${code.padEnd(32)} ${n}`);
for (const f of rep.failures) console.log(`FAILURE ${f}`);
process.exitCode = rep.otherExceptions === 0 && rep.roundTripFailures === 0 && rep.maxCallMs < MAX_CALL_MS ? 0 : 1;
