// @perftrack/exporter-prometheus — the whole public surface.

export { PrometheusExporter, DEFAULT_DURATION_BUCKETS, OTHER_LABEL } from './prometheus-exporter';
export type {
  PrometheusExporterOptions,
  PrometheusExporterStats,
  MetricsResponse,
  ServeOptions,
  MetricsServer,
} from './prometheus-exporter';
