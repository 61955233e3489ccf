import type { IdentityDb } from '../identity-db';
import { uniqueViolationOf } from '../identity-db';

/** An organization as the registry knows it. */
export interface OrganizationRecord {
  id: string;
  name: string;
  slug: string;
}

const SLUG_KEY = 'organizations_slug_key';

/** The organization registry (the identity database's `organizations`). */
export const organizationsRepository = {
  /**
   * Inserts the organization unless its slug is taken; false when it is. No error is raised
   * for a taken slug, so the surrounding transaction stays usable for another attempt.
   */
  async insertUnlessSlugTaken(db: IdentityDb, org: OrganizationRecord & { createdBy: string }): Promise<boolean> {
    const { rowCount } = await db.query(
      'INSERT INTO organizations (id, name, slug, created_by) VALUES ($1, $2, $3, $4) ON CONFLICT (slug) DO NOTHING',
      [org.id, org.name, org.slug, org.createdBy],
    );
    return rowCount === 1;
  },

  /** Finds the organization and locks its row: membership changes of one org are serialised on it. */
  async lock(db: IdentityDb, id: string): Promise<OrganizationRecord | undefined> {
    const { rows } = await db.query<OrganizationRecord>('SELECT id, name, slug FROM organizations WHERE id = $1 FOR UPDATE', [id]);
    return rows[0];
  },

  async findBySlug(db: IdentityDb, slug: string): Promise<OrganizationRecord | undefined> {
    const { rows } = await db.query<OrganizationRecord>('SELECT id, name, slug FROM organizations WHERE slug = $1', [slug]);
    return rows[0];
  },

  /**
   * Sets the name and/or slug; answers `'updated'`, `'missing'` (no such org) or
   * `'slugTaken'` (the statement failed: use it last in a transaction, or alone).
   */
  async update(db: IdentityDb, id: string, changes: { name?: string | undefined; slug?: string | undefined }): Promise<'updated' | 'missing' | 'slugTaken'> {
    try {
      const { rowCount } = await db.query('UPDATE organizations SET name = coalesce($2, name), slug = coalesce($3, slug) WHERE id = $1', [
        id,
        changes.name ?? null,
        changes.slug ?? null,
      ]);
      return rowCount === 1 ? 'updated' : 'missing';
    } catch (err) {
      if (uniqueViolationOf(err) === SLUG_KEY) return 'slugTaken';
      throw err;
    }
  },

  /** Deletes the organization (memberships and API keys cascade); answers the ids of its API keys, or undefined when it did not exist. */
  async delete(db: IdentityDb, id: string): Promise<string[] | undefined> {
    const { rows: keys } = await db.query<{ id: string }>('SELECT id FROM api_keys WHERE organization_id = $1', [id]);
    const { rowCount } = await db.query('DELETE FROM organizations WHERE id = $1', [id]);
    return rowCount === 1 ? keys.map((key) => key.id) : undefined;
  },
};
