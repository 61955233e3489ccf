import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readMigrationFiles } from './migration-files';

describe('readMigrationFiles', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'migration-files-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('orders NNNN_name.sql files by version with their checksums', async () => {
    await writeFile(path.join(dir, '0002_second.sql'), 'SELECT 2;');
    await writeFile(path.join(dir, '0001_first.sql'), 'SELECT 1;');
    await writeFile(path.join(dir, 'README.md'), 'not a migration');
    const files = await readMigrationFiles(dir);
    expect(files.map((f) => [f.version, f.name])).toEqual([
      [1, 'first'],
      [2, 'second'],
    ]);
    expect(files[0]?.checksum).toMatch(/^[0-9a-f]{64}$/);
  });

  it('rejects a badly named file and a duplicate version', async () => {
    await writeFile(path.join(dir, '1_bad.sql'), 'SELECT 1;');
    await expect(readMigrationFiles(dir)).rejects.toThrow('1_bad.sql');
    await rm(path.join(dir, '1_bad.sql'));
    await writeFile(path.join(dir, '0001_a.sql'), 'SELECT 1;');
    await writeFile(path.join(dir, '0001_b.sql'), 'SELECT 1;');
    await expect(readMigrationFiles(dir)).rejects.toThrow(/0001_a\.sql and 0001_b\.sql/);
  });
});
