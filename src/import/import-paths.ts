import { open, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { importPage, MAX_PAGE_BYTES, type ImportResult } from './import-page.ts';

/** Page files a directory holds: HTML and text dumps. Files named on the command line are taken whatever their name. */
const PAGE_FILES = /\.(html?|xhtml|txt|text)$/i;

export async function collectPages(paths: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const given of paths) {
    const info = await stat(given).catch(() => undefined);
    if (info?.isDirectory()) {
      const entries = await readdir(given, { recursive: true, withFileTypes: true });
      files.push(
        ...entries
          .filter((entry) => entry.isFile() && PAGE_FILES.test(entry.name))
          .map((entry) => path.join(entry.parentPath, entry.name))
          .sort(),
      );
    } else {
      files.push(given);
    }
  }
  return files;
}

/** Reads one page file, refusing one over the size limit before reading it. */
export async function importFile(file: string, status: 'draft' | 'published'): Promise<ImportResult> {
  let handle;
  try {
    handle = await open(file, 'r');
    const info = await handle.stat();
    if (!info.isFile()) return { ok: false, error: 'not a regular file' };
    if (info.size > MAX_PAGE_BYTES) {
      return {
        ok: false,
        error: `file is ${(info.size / 1024 / 1024).toFixed(1)} MB: expected at most 5 MB`,
      };
    }
    const bytes = await handle.readFile();
    return importPage(bytes, { name: path.basename(file).replace(/\.[^.]+$/, ''), status });
  } catch (error) {
    return {
      ok: false,
      error: `cannot read file: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    };
  } finally {
    await handle?.close();
  }
}
