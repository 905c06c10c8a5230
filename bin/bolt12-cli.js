#!/usr/bin/env node
// `bolt12-cli`: the compiled dist/bin/bolt12-cli.js, or in a clone with sources newer than the build,
// src/bin/bolt12-cli.ts through tsx (bin/_launch.js says when).
import { launch } from './_launch.js';
await launch('bolt12-cli');
