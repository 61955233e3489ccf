import { z } from 'zod';

const postgresUrl = z
  .string()
  .refine((value) => /^postgres(ql)?:\/\/[^/]+\/[^/?]+/.test(value), { message: 'must be a postgres:// URL with a database' });

const mode = z.enum(['local', 'containers', 'external']);

const database = z.object({ server: z.string().min(1), url: postgresUrl, ownerUrl: postgresUrl });

const argv = z.array(z.string().min(1)).min(1);
/** `kill` (SIGKILL, a crash rather than a stop) where the devstack offers it: its local Kafka broker. */
const control = z.object({ start: argv, stop: argv, kill: argv.optional() });

/**
 * `.devstack/env.json`: what the devstack brought up and how to reach it. Written by
 * `tools/devstack`, read by `npm start` and by every integration test.
 */
export const devstackEnvSchema = z
  .object({
    version: z.literal(1),
    /** How each engine is provided: local processes, testcontainers, or URLs from the environment. */
    modes: z.object({ postgres: mode, redis: mode, kafka: mode }),
    /** The PostgreSQL servers (two locally), with a superuser URL where the devstack has one. */
    postgresServers: z.array(z.object({ id: z.string().min(1), superuserUrl: postgresUrl.optional() })).min(1),
    /** The shard map, in order: service-role URL and migration-owner URL per shard. */
    shards: z.array(z.object({ id: z.string().min(1), ...database.shape })).min(1),
    /** auth's global identity database. */
    identityDatabase: database,
    /** audit's compliance-log database. */
    auditDatabase: database,
    /** The audit relay's role on the shards and the identity database (ADR 0005), where the devstack knows it. */
    auditRelay: z.object({ user: z.string().min(1), password: z.string().min(1) }).optional(),
    /** The identity database as the role that may only read `tenant_placements` (ADR 0004), where the devstack knows it. */
    placementDatabaseUrl: postgresUrl.optional(),
    redisUrl: z.string().regex(/^rediss?:\/\//, 'must be a redis:// URL'),
    kafkaBrokers: z.array(z.string().regex(/^[^:\s]+:\d+$/, 'must be host:port')).min(1),
    /** argv that stops / starts (/ kills) each component the devstack manages (`pg-a`, `pg-b`, `redis`, `kafka`). */
    controls: z.record(z.string(), control),
  })
  .superRefine((env, ctx) => {
    const servers = new Set(env.postgresServers.map((s) => s.id));
    const seen = new Set<string>();
    env.shards.forEach((shard, index) => {
      if (seen.has(shard.id)) ctx.addIssue({ code: 'custom', path: ['shards', index, 'id'], message: `duplicate shard id "${shard.id}"` });
      seen.add(shard.id);
      if (!servers.has(shard.server)) {
        ctx.addIssue({ code: 'custom', path: ['shards', index, 'server'], message: `unknown server "${shard.server}" (not in postgresServers)` });
      }
    });
    for (const key of ['identityDatabase', 'auditDatabase'] as const) {
      if (!servers.has(env[key].server)) {
        ctx.addIssue({ code: 'custom', path: [key, 'server'], message: `unknown server "${env[key].server}" (not in postgresServers)` });
      }
    }
  });

/** The devstack's settings, as validated by {@link devstackEnvSchema}. */
export type DevstackEnv = z.infer<typeof devstackEnvSchema>;
