import { Client } from 'pg';

/** Runs `fn` with a fresh connection to `url` (a test looking at a database directly), closed afterwards. */
export async function withPgClient<T>(url: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
