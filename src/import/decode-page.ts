/** Turning a file's bytes into text: size, binary and encoding checks (docs/import.md, "Bad input"). */

export const MAX_PAGE_BYTES = 5 * 1024 * 1024;

export class PageError extends Error {}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : `${bytes} bytes`;
}

/** The charset a page declares in its first bytes (`<meta charset>` or `http-equiv` content type). */
function declaredCharset(head: string): string | undefined {
  const match =
    /<meta[^>]+charset\s*=\s*["']?\s*([\w-]+)/i.exec(head) ?? /encoding=["']([\w-]+)["']/i.exec(head);
  return match?.[1]?.toLowerCase();
}

/**
 * UTF-8 when the bytes are valid UTF-8 (with or without a BOM), else the charset the page declares,
 * else Windows-1252: the superset of Latin-1 that undeclared Western pages use in practice (the
 * WHATWG Encoding Standard maps the "latin1" and "iso-8859-1" labels to it as well).
 */
export function decodePage(bytes: Uint8Array): { text: string; encoding: string } {
  if (bytes.byteLength > MAX_PAGE_BYTES) {
    throw new PageError(`file is ${formatBytes(bytes.byteLength)}: expected at most 5 MB`);
  }
  if (bytes.byteLength === 0) throw new PageError('file is empty: expected an HTML or text page');
  const sample = bytes.subarray(0, 8192);
  let control = 0;
  for (const byte of sample) {
    if (byte === 0) {
      throw new PageError('file is binary (it contains NUL bytes): expected an HTML or text page');
    }
    if (byte < 0x09 || (byte > 0x0d && byte < 0x20)) control += 1;
  }
  if (control > sample.length * 0.05) {
    throw new PageError(
      `file looks binary (${control} control bytes in its first ${sample.length}): expected an HTML or text page`,
    );
  }
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, 2048));
  let text: string;
  let encoding: string;
  try {
    text = utf8.decode(bytes);
    encoding = 'utf-8';
  } catch {
    const declared = declaredCharset(head);
    encoding = 'windows-1252';
    if (declared && declared !== 'utf-8' && declared !== 'utf8') {
      try {
        text = new TextDecoder(declared).decode(bytes);
        encoding = declared;
      } catch {
        text = new TextDecoder('windows-1252').decode(bytes);
      }
    } else {
      text = new TextDecoder('windows-1252').decode(bytes);
    }
  }
  if (text.trim() === '') throw new PageError('file has only whitespace: expected an HTML or text page');
  return { text, encoding };
}

export function looksLikeHtml(text: string): boolean {
  return /<(!doctype\s+html|html|head|body|article|p|div|main)\b/i.test(text.slice(0, 4096));
}
