export { DATASOURCE, DATASOURCE_TYPE, DATASOURCE_UID, InfluxQueryBuilder, influxql, type InfluxQuery, type InfluxQueryJson, type ResultFormat } from './influx-query.js';
export { escapeRegex, interpolate, timeFilter, type InterpolateOptions, type VariableValue } from './interpolate.js';
export { dashboardPanels, dashboardQueries, type DashboardQuery } from './inspect.js';
export { coexDashboard, nightlyDashboard, releaseDashboard, runDetailDashboard, type BuiltDashboard } from './dashboards.js';
export {
  DASHBOARD_PROVIDER_FILE,
  DASHBOARDS_DIR,
  DATASOURCE_ENV,
  DATASOURCE_FILE,
  buildDashboards,
  dashboardProviderYaml,
  datasourceEnv,
  datasourceYaml,
  provisioningFiles,
  writeDashboards,
  type DatasourceAuth,
  type ProvisioningFile,
  type ProvisioningOptions,
  type WriteOptions,
} from './provisioning.js';
export { KIBPS } from './panels.js';
export * as queries from './queries.js';
