#!/usr/bin/env node
// `bolt12d-testnet`: the compiled dist/bin/bolt12d-testnet.js, or in a clone with sources newer than the build,
// src/bin/bolt12d-testnet.ts through tsx (bin/_launch.js says when).
import { launch } from './_launch.js';
await launch('bolt12d-testnet');
