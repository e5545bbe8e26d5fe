// @perftrack/cli — the whole public surface. The `perftrack` binary calls `main`.

export { main, createProgram, CliError, GATE_FAILED_EXIT_CODE } from './cli';
export type { CliIo, CliStream } from './cli';
export { parseDuration, formatAge, formatBytes } from './duration';
export { runDoctor } from './doctor';
export type { DoctorFinding, DoctorLevel, DoctorOptions } from './doctor';
