const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/**
 * Escapes text for an HTML or XML text node or a quoted attribute value (either quote kind): the five
 * characters that can end one (https://html.spec.whatwg.org/#escapingString), as named references
 * every XML parser knows, `'` as `&#39;` (HTML 4 has no `&apos;`).
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char]!);
}
