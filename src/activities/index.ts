// Activity types for workflows (imported as types only) and factories for workers.
export { createModelHostActivities, type ModelHostActivities, type ModelArtifact, type Deployment, type DeploymentCheck } from './model-host';
export { createQaActivities, defaultQaDeps, type QaActivities } from './qa';
export { createTrafficActivities, type TrafficActivities } from './traffic';
export { createMetricActivities, type MetricActivities } from './metrics';
export { createNotificationActivities, type NotificationActivities } from './notifications';
export { createScheduleActivities, type ScheduleActivities } from './schedules';
export { createQualityActivities, type QualityActivities } from './quality';
export { createRecordActivities, type RecordActivities } from './interval-records';

import type { QaActivities } from './qa';
import type { TrafficActivities } from './traffic';
import type { MetricActivities } from './metrics';
import type { NotificationActivities } from './notifications';
import type { ScheduleActivities } from './schedules';
import type { QualityActivities } from './quality';
import type { RecordActivities } from './interval-records';

/** Everything the orchestrator worker registers on the control-plane task queue. */
export type ControlPlaneActivities = QaActivities &
  TrafficActivities &
  MetricActivities &
  NotificationActivities &
  ScheduleActivities &
  QualityActivities &
  RecordActivities;
