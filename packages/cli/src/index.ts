// @perftrack/cli — the whole public surface. The `perftrack` binary calls `main`.

export { main, createProgram, CliError, GATE_FAILED_EXIT_CODE } from './cli';
export type { CliIo, CliStream } from './cli';
export { runDoctor } from './doctor';
export type { DoctorFinding, DoctorLevel, DoctorOptions } from './doctor';
