// Two projects: the same sources under TC39 standard decorators (the TypeScript 5 default) and,
// for *.legacy.test.ts, under `experimentalDecorators`. Tests import packages by name, mapped to
// their src/index.ts, so they run against the public entry point without a build.
const moduleNameMapper = {
  '^@perftrack/core/internal$': '<rootDir>/packages/core/src/internal/index.ts',
  '^@perftrack/([a-z-]+)$': '<rootDir>/packages/$1/src/index.ts',
};
const base = {
  testEnvironment: 'node',
  moduleNameMapper,
  roots: ['<rootDir>/packages', '<rootDir>/examples', '<rootDir>/test'],
  modulePathIgnorePatterns: ['<rootDir>/packages/[^/]+/dist'],
};
const tsJest = (tsconfig) => ({ '^.+\\.ts$': ['ts-jest', { tsconfig, diagnostics: { warnOnly: false } }] });

/** @type {import('jest').Config} */
module.exports = {
  testTimeout: 60_000,
  projects: [
    {
      ...base,
      displayName: 'tc39',
      testMatch: ['**/*.test.ts'],
      testPathIgnorePatterns: ['\\.legacy\\.test\\.ts$', '/node_modules/', '/dist/'],
      transform: tsJest('<rootDir>/tsconfig.json'),
    },
    {
      ...base,
      displayName: 'legacy-decorators',
      testMatch: ['**/*.legacy.test.ts'],
      transform: tsJest('<rootDir>/tsconfig.legacy.json'),
    },
  ],
};
