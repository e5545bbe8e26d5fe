/**
 * The engine's entry into its tracker and anomaly detector for a record it has already checked
 * (usable) and prepared (normalised error text): a module-private symbol, not public API, so
 * only this package's classes call it.
 * @internal
 */
export const ingestPrepared: unique symbol = Symbol('perftrack.analytics.ingestPrepared');
