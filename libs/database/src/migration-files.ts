import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

const MIGRATION_FILE = /^(\d{4})_([a-z0-9][a-z0-9_-]*)\.sql$/;

/** One migration file: `NNNN_name.sql`. */
export interface MigrationFile {
  version: number;
  name: string;
  fileName: string;
  sql: string;
  /** Hex SHA-256 of the file's content. */
  checksum: string;
}

/**
 * The migrations of a folder, ordered by version. Throws for a `.sql` file that does not match
 * `NNNN_name.sql` and for two files with one version.
 */
export async function readMigrationFiles(migrationsDir: string): Promise<MigrationFile[]> {
  const entries = (await readdir(migrationsDir)).filter((name) => name.endsWith('.sql')).sort();
  const files: MigrationFile[] = [];
  for (const fileName of entries) {
    const match = MIGRATION_FILE.exec(fileName);
    if (match === null) throw new Error(`migration ${fileName} is not named NNNN_name.sql`);
    const version = Number(match[1]);
    const previous = files[files.length - 1];
    if (previous !== undefined && previous.version === version) {
      throw new Error(`migrations ${previous.fileName} and ${fileName} share version ${String(version)}`);
    }
    const sql = await readFile(path.join(migrationsDir, fileName), 'utf8');
    files.push({ version, name: match[2] ?? '', fileName, sql, checksum: createHash('sha256').update(sql).digest('hex') });
  }
  return files;
}
