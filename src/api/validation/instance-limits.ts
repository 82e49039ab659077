/**
 * The one instance-count limit, shared by the API validation and the CLI so they cannot drift:
 * an application has at most MAX_INSTANCES instances. It bounds CREATE's `instances`, SCALE's
 * `requiredInstances`, START_INSTANCES' `instances`, and what START_INSTANCES brings the app to
 * (docs/apps.md). Drove caps START_INSTANCES alone at 1024; corral accepts every request Drove
 * accepts and caps the resulting total instead, so `deploy` and `scale` share one limit.
 */
export const MAX_INSTANCES = 2048;
