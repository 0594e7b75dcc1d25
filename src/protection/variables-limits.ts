/**
 * Bounds on operation variables, checked before anything walks them recursively (the response
 * cache's key, Apollo's coercion, the NUL check): a few kilobytes of `[[[[…` would otherwise
 * overflow the stack. Neither check recurses.
 */

/** Deepest nesting of objects and arrays a request's variables may have. */
export const MAX_VARIABLES_DEPTH = 64;

/** How deep JSON text nests, read without parsing; brackets inside strings do not count. */
export function jsonTextDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i);
    if (inString) {
      if (char === 0x5c) i++;
      else if (char === 0x22) inString = false;
    } else if (char === 0x22) {
      inString = true;
    } else if (char === 0x7b || char === 0x5b) {
      if (++depth > deepest) deepest = depth;
    } else if (char === 0x7d || char === 0x5d) {
      depth--;
    }
  }
  return deepest;
}

/** How deep a parsed value nests (1 for `{}` or `[]`, 0 for a scalar), without recursion. */
export function valueDepth(value: unknown): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (item === null || typeof item !== 'object') continue;
    if (depth > deepest) deepest = depth;
    if (depth > MAX_VARIABLES_DEPTH) break;
    for (const inner of Object.values(item)) stack.push([inner, depth + 1]);
  }
  return deepest;
}

/** What is wrong with a GET request's `variables` text, or undefined. */
export function variablesTextProblem(text: string, maxBytes: number): string | undefined {
  const bytes = Buffer.byteLength(text);
  if (bytes > maxBytes) {
    return `Query parameter "variables" is ${bytes} bytes; at most ${maxBytes} are accepted (BYLINE_MAX_BODY_BYTES).`;
  }
  const depth = jsonTextDepth(text);
  if (depth > MAX_VARIABLES_DEPTH) {
    return `Query parameter "variables" nests ${depth} levels deep; at most ${MAX_VARIABLES_DEPTH} are accepted.`;
  }
  return undefined;
}

/** What is wrong with a POST body's `variables`, or undefined (the body limit bounds its size). */
export function variablesValueProblem(value: unknown): string | undefined {
  const depth = valueDepth(value);
  return depth > MAX_VARIABLES_DEPTH
    ? `Body field "variables" nests more than ${MAX_VARIABLES_DEPTH} levels deep; at most ${MAX_VARIABLES_DEPTH} are accepted.`
    : undefined;
}
