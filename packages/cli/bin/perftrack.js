#!/usr/bin/env node
'use strict';
// The `perftrack` command. The code lives in ../dist (built by `pnpm install` in this workspace).
let cli;
try {
  cli = require('../dist/index.js');
} catch (error) {
  if (error && error.code === 'MODULE_NOT_FOUND' && String(error.message).includes('dist/index.js')) {
    process.stderr.write('perftrack: error: @perftrack/cli is not built; run `pnpm run build` in the workspace\n');
    process.exit(1);
  }
  throw error;
}
// `perftrack report | head`: once the reader has gone, output stops quietly (no EPIPE crash).
process.stdout.on('error', (error) => {
  if (error?.code !== 'EPIPE') throw error;
});
cli.main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
