#!/usr/bin/env node
// The published entry point: registers the TypeScript loader so the CLI runs from source
// with no separate build step, then hands over to src/cli.ts.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');
