// @perftrack/dashboard — the whole public surface.

export { startDashboard, DEFAULT_DASHBOARD_PORT } from './dashboard';
export type { Dashboard, DashboardOptions } from './dashboard';
export { DashboardModel } from './model';
export type {
  DashboardModelOptions,
  DashboardSnapshot,
  DashboardRecord,
  DashboardToolRow,
  DashboardCounters,
  DashboardPrediction,
} from './model';
