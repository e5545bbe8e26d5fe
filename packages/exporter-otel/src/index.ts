// @perftrack/exporter-otel — the whole public surface.

export { OpenTelemetryExporter } from './open-telemetry-exporter';
export type { OpenTelemetryExporterOptions, OpenTelemetryExporterStats } from './open-telemetry-exporter';
export {
  GenAiAttributes,
  PerftrackAttributes,
  EXECUTE_TOOL_DURATION,
  EXECUTE_TOOL_DURATION_BUCKETS,
  GEN_AI_SEMCONV_VERSION,
} from './semconv';
