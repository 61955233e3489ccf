import { z } from 'zod';

const postgresUrl = z
  .string()
  .refine((value) => /^postgres(ql)?:\/\/[^/]+\/[^/?]+/.test(value), { message: 'must be a postgres:// URL with a database' });

const mode = z.enum(['local', 'containers', 'external']);

const database = z.object({ server: z.string().min(1), url: postgresUrl, ownerUrl: postgresUrl });

/**
 * `.devstack/env.json`: what the devstack brought up and how to reach it. Written by
 * `tools/devstack`, read by `npm start` and by every integration test.
 */
export const devstackEnvSchema = z.object({
  version: z.literal(1),
  modes: z.object({ postgres: mode, redis: mode, kafka: mode }),
  /** The PostgreSQL servers (two locally), with a superuser URL where the devstack has one. */
  postgresServers: z.array(z.object({ id: z.string().min(1), superuserUrl: postgresUrl.optional() })).min(1),
  /** The shard map, in order: service-role URL and migration-owner URL per shard. */
  shards: z.array(database.extend({ id: z.string().min(1) })).min(1),
  identityDatabase: database,
  auditDatabase: database,
  redisUrl: z.string().regex(/^rediss?:\/\//, 'must be a redis:// URL'),
  kafkaBrokers: z.array(z.string().regex(/^[^:\s]+:\d+$/, 'must be host:port')).min(1),
  /** argv that stops / starts each component the devstack manages (fault-injection tests). */
  controls: z.record(z.string(), z.object({ start: z.array(z.string()).min(1), stop: z.array(z.string()).min(1) })),
});

export type DevstackEnv = z.infer<typeof devstackEnvSchema>;
