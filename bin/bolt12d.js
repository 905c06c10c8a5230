#!/usr/bin/env node
// `bolt12d`: the compiled dist/bin/bolt12d.js, or in a clone with sources newer than the build,
// src/bin/bolt12d.ts through tsx (bin/_launch.js says when).
import { launch } from './_launch.js';
await launch('bolt12d');
