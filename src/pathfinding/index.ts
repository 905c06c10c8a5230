// Public API of path finding: onion-message paths over the gossip graph and the decision to
// connect directly when none exists. Pure: no I/O, no clock.
export * from './onion-path.ts';
export * from './decide.ts';
