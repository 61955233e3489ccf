import { z } from 'zod';
import { envFields } from './env-fields';

const SHARD_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;

/**
 * One shard of the shard map: a stable id and the PostgreSQL URL of its database. The URL may
 * leave out the user and password (a Kubernetes ConfigMap holds no secrets); they are then
 * filled in from separate credentials, see {@link withShardCredentials}.
 */
export const shardSchema = z.object({
  id: z.string().regex(SHARD_ID, 'must be lowercase letters, digits and dashes'),
  url: envFields.url(['postgres', 'postgresql']),
});

/**
 * The ordered shard map. Order matters: `shardFor` hashes a tenant to a position, so shards are
 * only ever appended. Ids must be unique.
 */
export const shardMapSchema = z
  .array(shardSchema)
  .min(1, 'must list at least one shard')
  .superRefine((shards, ctx) => {
    const seen = new Set<string>();
    shards.forEach((shard, index) => {
      if (seen.has(shard.id)) {
        ctx.addIssue({ code: 'custom', path: [index, 'id'], message: `duplicate shard id "${shard.id}"` });
      }
      seen.add(shard.id);
    });
  });

export type Shard = z.infer<typeof shardSchema>;
export type ShardMap = z.infer<typeof shardMapSchema>;

/** The `SHARD_MAP` variable's parser: a JSON array of `{id, url}`. */
export const shardMapField = () => envFields.json(shardMapSchema);

/**
 * The shard map with credentials put into every URL that has none. URLs that carry their own
 * user keep it.
 */
export function withShardCredentials(
  shards: ShardMap,
  credentials: { user?: string | undefined; password?: string | undefined },
): ShardMap {
  return shards.map((shard) => {
    const url = new URL(shard.url);
    if (url.username !== '' || credentials.user === undefined) return shard;
    url.username = encodeURIComponent(credentials.user);
    if (credentials.password !== undefined) url.password = encodeURIComponent(credentials.password);
    return { ...shard, url: url.toString() };
  });
}
