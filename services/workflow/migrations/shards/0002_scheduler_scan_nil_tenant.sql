-- The scheduler's scan runs with app.tenant_id set to the nil UUID (no tenant has it) rather
-- than unset: every permissive policy of a table is evaluated, and tenant_isolation casts
-- current_setting('app.tenant_id') to uuid, which fails in a session that never set it.
DROP POLICY scheduler_scan ON workflow_runs;
DROP POLICY scheduler_scan ON workflow_step_executions;
CREATE POLICY scheduler_scan ON workflow_runs FOR SELECT
  USING (current_setting('app.workflow_scheduler', true) = 'on' AND current_setting('app.tenant_id', true) = '00000000-0000-0000-0000-000000000000');
CREATE POLICY scheduler_scan ON workflow_step_executions FOR SELECT
  USING (current_setting('app.workflow_scheduler', true) = 'on' AND current_setting('app.tenant_id', true) = '00000000-0000-0000-0000-000000000000');
