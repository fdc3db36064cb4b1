// Durable writes for the gateway's state files (frame counters, downlink queue, device registry).
// A power cut on a Pi's SD card may happen at any instant: a file is replaced by writing a temporary
// sibling, fsync'ing it, renaming it over the old one and fsync'ing the directory, so a reader sees
// either the old or the new content, never a torn mix (rename(2) is atomic within one filesystem;
// the directory fsync makes the rename itself survive the power cut).
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';

let tmpSeq = 0;

function tmpName(file: string): string {
  tmpSeq = (tmpSeq + 1) % 1e9;
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${tmpSeq}.tmp`);
}

/** fsync a directory so a rename/create inside it is durable (no-op where directories cannot be opened). */
export function fsyncDirSync(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Some filesystems refuse fsync on a directory (EINVAL/EISDIR); the rename is still atomic.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

export async function fsyncDir(dir: string): Promise<void> {
  let fh: fsp.FileHandle | undefined;
  try {
    fh = await fsp.open(dir, 'r');
    await fh.sync();
  } catch {
    // as in fsyncDirSync
  } finally {
    await fh?.close();
  }
}

/** Atomically replaces file with data (write temp → fsync → rename → fsync dir). */
export function writeFileAtomicSync(file: string, data: string | Uint8Array, mode = 0o600): void {
  const tmp = tmpName(file);
  const fd = fs.openSync(tmp, 'w', mode);
  try {
    fs.writeFileSync(fd, data);
    fs.fsyncSync(fd);
  } catch (e) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  fs.closeSync(fd);
  try {
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  fsyncDirSync(path.dirname(file));
}

/** Async form of writeFileAtomicSync. */
export async function writeFileAtomic(file: string, data: string | Uint8Array, mode = 0o600): Promise<void> {
  const tmp = tmpName(file);
  const fh = await fsp.open(tmp, 'w', mode);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (e) {
    await fh.close();
    await fsp.rm(tmp, { force: true });
    throw e;
  }
  await fh.close();
  try {
    await fsp.rename(tmp, file);
  } catch (e) {
    await fsp.rm(tmp, { force: true });
    throw e;
  }
  await fsyncDir(path.dirname(file));
}

/**
 * An exclusive lock file (O_EXCL) for read-modify-write of a shared file by separate processes
 * (`kerb device add` run twice at once). Stale locks older than staleMs are broken.
 */
export async function withLockFile<T>(lockPath: string, fn: () => Promise<T>, timeoutMs = 10_000, staleMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fh = await fsp.open(lockPath, 'wx', 0o600);
      await fh.writeFile(String(process.pid));
      await fh.close();
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      try {
        const st = await fsp.stat(lockPath);
        if (Date.now() - st.mtimeMs > staleMs) {
          await fsp.rm(lockPath, { force: true });
          continue;
        }
      } catch {
        continue; // removed meanwhile
      }
      if (Date.now() > deadline) throw new Error(`${lockPath}: locked by another process`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  try {
    return await fn();
  } finally {
    await fsp.rm(lockPath, { force: true });
  }
}
