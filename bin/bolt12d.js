#!/usr/bin/env node
// Entry point: runs the TypeScript sources through tsx, so no build step is needed.
import { register } from 'tsx/esm/api';
register();
await import('../src/bin/bolt12d.ts');
