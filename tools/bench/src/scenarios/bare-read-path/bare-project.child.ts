import { ProjectServiceService, type GetProjectResponse } from '@bulkhead/contracts';
import { Server, ServerCredentials, status, type ServiceError } from '@grpc/grpc-js';
import pg from 'pg';
import { GET_PROJECT, requiredEnv, ready } from './bare-read-path.shared';

/**
 * The project service with nothing of Bulkhead's: grpc-js serving the generated GetProject with
 * one raw pg pool on the shard, running the service's SELECT in a tenant transaction (BEGIN,
 * set_config, SELECT, COMMIT). No token check, permission table, logging, tracing or metrics.
 */
const tenantId = requiredEnv('BARE_TENANT_ID');
const userId = requiredEnv('BARE_USER_ID');
const pool = new pg.Pool({ connectionString: requiredEnv('BARE_SHARD_URL'), max: Number(requiredEnv('BARE_POOL_SIZE')) });

async function getProject(id: string): Promise<GetProjectResponse | undefined> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query({ name: 'tenant', text: "SELECT set_config('app.tenant_id', $1, true)", values: [tenantId] });
    const { rows } = await client.query<Record<string, unknown>>({ name: 'get-project', text: GET_PROJECT, values: [tenantId, id, userId] });
    await client.query('COMMIT');
    const row = rows[0];
    if (row === undefined) return undefined;
    return {
      project: {
        id: String(row['id']),
        name: String(row['name']),
        description: String(row['description']),
        settings: row['settings'] as Record<string, unknown>,
        archived: Boolean(row['archived']),
        createdAt: (row['created_at'] as Date).toISOString(),
        updatedAt: (row['updated_at'] as Date).toISOString(),
      },
      callerProjectRole: typeof row['project_role'] === 'string' ? row['project_role'] : '',
    };
  } finally {
    client.release();
  }
}

const server = new Server();
server.addService(
  { getProject: ProjectServiceService.getProject },
  {
    getProject: (call: { request: { id: string } }, callback: (err: Partial<ServiceError> | null, value?: GetProjectResponse) => void) => {
      getProject(call.request.id).then(
        (answer) => (answer === undefined ? callback({ code: status.NOT_FOUND, details: 'project not found' }) : callback(null, answer)),
        (err: Error) => callback({ code: status.INTERNAL, details: err.message }),
      );
    },
  },
);
server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, port) => {
  if (err !== null) throw err;
  ready(port);
});
